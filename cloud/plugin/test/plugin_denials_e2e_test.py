"""`mos cloud denials` end to end: Mosquitto with mos_policy_plugin.so and the
configuration `mos-cloud init` writes; clients refused for the reasons people
meet (no policy attached, a certificate the cloud never issued, a topic the
policy does not allow, a client id AWS IoT would refuse); the plugin records
each refusal in the registry's denials table and `mos cloud denials` shows
them with their reasons, filtered by client id or certificate id (prefix),
the newest 1000, escaped, live with --follow. A busy registry never holds up
the broker.

Needs MOS_CLOUD, MOS_BIN (the mos CLI) and MOS_POLICY_PLUGIN.
"""
from __future__ import annotations

import datetime
import json
import os
import queue
import signal
import sqlite3
import ssl
import subprocess
import tempfile
import threading
import time
import unittest
from pathlib import Path

from mostest import REPO, CertFiles, Pki, free_port, wait_until
from plugin_fixture import ARN, Mqtt, Registry, allow, cert_id, cloud_init, policy, start_broker

def built(env: str, rel: str) -> str:
    p = os.environ.get(env) or str(REPO / "build/default" / rel)
    if not Path(p).exists():
        raise FileNotFoundError(f"{p} not found: cmake --build --preset default --target {Path(rel).name}")
    return p


class Denials(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = tempfile.TemporaryDirectory(prefix="mos-denials-")
        root = Path(cls.tmp.name)
        cls.dir = root / "cloud"
        cls.port = free_port()
        cls.ca = cloud_init(cls.dir, cls.port)
        pki = Pki(root / "pki")
        cls.nopolicy = pki.cert("nopolicy", cls.ca)      # registered, ACTIVE, no policy
        cls.nopolicy2 = pki.cert("nopolicy2", cls.ca)
        cls.dev = pki.cert("dev", cls.ca)                # may connect, publish only to ok/*
        cls.stranger = pki.cert("stranger", cls.ca)      # signed by the CA, never registered
        cls.reg = Registry(cls.dir / "registry.db")
        for c in (cls.nopolicy, cls.nopolicy2):
            cls.reg.add_cert(c)
        arn = cls.reg.add_cert(cls.dev)
        cls.reg.add_policy("dev", policy(allow("iot:Connect", "*"), allow("iot:Publish", f"{ARN}topic/ok/*")))
        cls.reg.attach("dev", arn)
        cls.log = cls.dir / "mosquitto.log"
        cls.proc = start_broker(cls.dir, cls.port)
        # mos runs from an empty directory with its own user state: nothing
        # leaks into (or is found in) the user's ~/.local/state/mos.
        cls.cwd = root / "elsewhere"
        cls.cwd.mkdir()
        cls.env = dict(os.environ, TZ="UTC", HOME=str(root), XDG_STATE_HOME=str(root / "state"))

    @classmethod
    def tearDownClass(cls) -> None:
        cls.proc.terminate()
        cls.proc.wait(timeout=10)
        cls.reg.close()
        cls.tmp.cleanup()

    # -- helpers --
    def mos(self, *args: str, data_dir: Path | None | bool = None, check: bool = True) -> subprocess.CompletedProcess:
        """`mos cloud denials ARGS --data-dir D` (this cloud's unless given; none when data_dir is False)."""
        extra = ["--data-dir", str(data_dir or self.dir)] if data_dir is not False else []
        p = subprocess.run([built("MOS_BIN", "tools/mos/mos"), "cloud", "denials", *args, *extra],
                           capture_output=True, env=self.env, cwd=self.cwd, timeout=30)
        if check and p.returncode != 0:
            raise AssertionError(f"mos cloud denials {' '.join(args)} failed ({p.returncode}):\n"
                                 f"{p.stdout.decode(errors='replace')}{p.stderr.decode(errors='replace')}")
        return p

    def lines(self, *args: str) -> list[str]:
        return self.mos(*args).stdout.decode().splitlines()

    def refused(self, cert: CertFiles, client_id: str | bytes) -> int:
        """CONNECT with cert; the CONNACK return code (-1 when the broker just closed)."""
        c = Mqtt(self.port, self.ca.cert, cert)
        try:
            return c.connect(client_id)
        except (ConnectionError, ssl.SSLError, OSError):
            return -1
        finally:
            c.close()

    def rows(self, where: str = "1", *params) -> list[tuple]:
        db = sqlite3.connect(self.dir / "registry.db")
        db.text_factory = bytes
        try:
            return db.execute(f"SELECT id, at_ms, client_id, certificate_id, action, resource, reason FROM denials "
                              f"WHERE {where} ORDER BY id", params).fetchall()
        finally:
            db.close()

    def wait_rows(self, where: str, *params, n: int = 1) -> list[tuple]:
        return wait_until(lambda: (r := self.rows(where, *params)) and len(r) >= n and r, timeout=5,
                          what=f"{n} denial row(s) where {where} {params}")

    # -- tests --
    def test_no_policy_refusal_is_shown_with_its_reason(self):
        cid = cert_id(self.nopolicy)
        self.assertEqual(self.refused(self.nopolicy, "esp8266_ABC"), 5)
        (row,) = self.wait_rows("client_id = ?", "esp8266_ABC")
        want_reason = ("no statement allows: no policy is attached to this certificate (attach one: aws iot "
                       f"attach-policy --policy-name POLICY --target {ARN}cert/{cid}; a board: mos aws-iot-setup, "
                       "which attaches mos-default)")
        self.assertEqual(row[2:], (b"esp8266_ABC", cid.encode(), b"iot:Connect",
                                   f"{ARN}client/esp8266_ABC".encode(), want_reason.encode()))
        self.assertLess(abs(row[1] / 1000 - time.time()), 30)
        # One line, oldest first, columns aligned: time, action, client, short cert, resource, reason.
        (line,) = self.lines("--client-id", "esp8266_ABC")
        when = datetime.datetime.fromtimestamp(row[1] / 1000, datetime.timezone.utc)
        self.assertEqual(line, f"{when:%Y-%m-%d %H:%M:%S}.{row[1] % 1000:03d}  DENY iot:Connect    "
                               f"client=esp8266_ABC       cert={cid[:12]}  resource={ARN}client/esp8266_ABC  "
                               f"reason: {want_reason}")
        # The same in the broker's log, and as JSON Lines with the web console's field names.
        self.assertIn(f"mos-policy: DENY iot:Connect principal={cid} client=esp8266_ABC", self.log.read_text())
        (js,) = self.lines("--client-id", "esp8266_ABC", "--json")
        self.assertEqual(json.loads(js), {"id": row[0], "time": row[1], "clientId": "esp8266_ABC",
                                          "certificateId": cid, "action": "iot:Connect",
                                          "resource": f"{ARN}client/esp8266_ABC", "reason": want_reason})

    def test_unregistered_certificate_and_denied_publish_are_recorded(self):
        self.assertEqual(self.refused(self.stranger, "stranger-1"), 5)
        c = Mqtt(self.port, self.ca.cert, self.dev)
        self.addCleanup(c.close)
        self.assertEqual(c.connect("dev-pub"), 0)
        c.publish("ok/fine", b"1")
        c.wait_puback()
        c.publish("secret/x", b"2")  # MQTT 3.1.1: the broker acknowledges and drops it
        c.wait_puback()
        self.wait_rows("client_id = ?", "dev-pub")
        self.assertIn("reason: certificate is not registered (create it with CreateCertificateFromCsr)",
                      self.lines("--client-id", "stranger-1")[0])
        (line,) = self.lines("--client-id", "dev-pub")
        self.assertIn(f"DENY iot:Publish    client=dev-pub           cert={cert_id(self.dev)[:12]}  "
                      f"resource={ARN}topic/secret/x  reason: no statement allows", line)

    def test_filter_by_certificate_id_prefix(self):
        a, b = cert_id(self.nopolicy), cert_id(self.nopolicy2)
        self.assertEqual(self.refused(self.nopolicy, "twin-client"), 5)
        self.assertEqual(self.refused(self.nopolicy2, "twin-client"), 5)
        self.wait_rows("client_id = ?", "twin-client", n=2)
        self.assertEqual(len(self.lines("--client-id", "twin-client")), 2)
        for form in (a[:6], a[:12], a, a[:8].upper(), a[:12] + "…", f"{ARN}cert/{a}"):
            got = self.lines("--client-id", "twin-client", "--certificate-id", form)
            self.assertEqual(len(got), 1, f"{form}: {got}")
            self.assertIn(f"cert={a[:12]}", got[0])
        # Five digits are too few to be a prefix: no match, and it says so.
        out = self.lines("--client-id", "twin-client", "--certificate-id", a[:5])
        self.assertEqual(out, [f"No denials recorded for client id twin-client and certificate {a[:5]} "
                               "(the cloud records the last 1000)."])
        self.assertIn(f"cert={b[:12]}", self.lines("--client-id", "twin-client", "--certificate-id", b[:7])[0])

    def test_hostile_client_ids_are_capped_and_printed_escaped(self):
        # MQTT's longest client id (65535 bytes): refused for AWS IoT's 128-byte
        # limit before any certificate lookup, recorded capped with its length.
        huge = b"h" * 65535
        self.assertEqual(self.refused(self.nopolicy, huge), 5)
        (row,) = self.wait_rows("client_id LIKE 'hhh%'")
        self.assertEqual(row[2], b"h" * 256 + b"...[65535 bytes]")
        self.assertEqual(row[3], b"-")
        self.assertEqual(row[5], f"{ARN}client/".encode() + b"h" * (512 - len(f"{ARN}client/")) +
                         b"...[65577 bytes]")
        self.assertIn(b"client id is 65535 bytes; AWS IoT allows at most 128", row[6])
        self.assertNotIn(b"h" * 600, self.log.read_bytes())  # the log line is capped too (256 + 470)
        line = [x for x in self.lines("--certificate-id=-") if "client=hhh" in x][-1]
        self.assertIn("client=" + "h" * 256 + "...[65535 bytes]  cert=-", line)
        # Terminal controls and newlines in what a client chose: one line each,
        # every control byte as \xNN. Mosquitto itself refuses control
        # characters in a client id (MQTT 3.1.1 §1.5.3), so such a row is
        # written here as the plugin would, for ids and topics of any origin.
        evil = "evil\n2030-01-01 00:00:00.000  DENY iot:Connect  client=admin\x1b[2J\x1b]0;pwned\x07\u202e\u009b"
        db = sqlite3.connect(self.dir / "registry.db")
        db.execute("INSERT INTO denials(at_ms, client_id, certificate_id, action, resource, reason) "
                   "VALUES(?, ?, '-', 'iot:Publish', ?, 'no statement allows')",
                   (int(time.time() * 1000), evil.encode() + b"\xff", f"{ARN}topic/a\rb"))
        db.commit()
        db.close()
        raw = self.mos("--certificate-id=-", "--limit", "1").stdout
        self.assertEqual(raw.count(b"\n"), 1, raw)
        self.assertNotIn(b"\x1b", raw)
        self.assertNotIn(b"\x07", raw)
        self.assertNotIn("\u202e".encode(), raw)
        self.assertNotIn("\u009b".encode(), raw)
        self.assertIn(b"client=evil\\x0a2030-01-01 00:00:00.000  DENY iot:Connect  client=admin\\x1b[2J"
                      b"\\x1b]0;pwned\\x07\\xe2\\x80\\xae\\xc2\\x9b\\xff  cert=-", raw)
        self.assertIn(b"resource=" + ARN.encode() + b"topic/a\\x0db", raw)
        js = json.loads(self.mos("--certificate-id=-", "--limit", "1", "--json").stdout)
        self.assertEqual(js["clientId"], evil + "\ufffd")  # valid JSON: the stray byte replaced

    def test_keeps_the_newest_1000(self):
        c = Mqtt(self.port, self.ca.cert, self.dev)
        self.addCleanup(c.close)
        self.assertEqual(c.connect("ring"), 0)
        n = 1100
        t0 = time.monotonic()
        for i in range(n):
            c.publish(f"ring/{i}", b"x", qos=0)
        c.publish("ok/done", b"x")  # the broker handles packets in order: the PUBACK comes after all of them
        c.wait_puback()
        took = time.monotonic() - t0
        last = self.wait_rows("resource = ?", f"{ARN}topic/ring/{n - 1}")
        self.assertTrue(last)
        db = sqlite3.connect(self.dir / "registry.db")
        count, lo, hi = db.execute("SELECT COUNT(*), MIN(id), MAX(id) FROM denials").fetchone()
        db.close()
        self.assertEqual(count, 1000)
        self.assertEqual(hi - lo, 999)
        print(f"\n  {n} denied PUBLISHes recorded in {took * 1000:.0f} ms ({n / took:.0f}/s); "
              f"registry.db {(self.dir / 'registry.db').stat().st_size // 1024} KB", flush=True)
        got = [json.loads(x) for x in self.lines("--client-id", "ring", "--limit", "1000", "--json")]
        self.assertEqual(len(got), 1000)  # every row in the table is this client's by now
        self.assertEqual(got[0]["resource"], f"{ARN}topic/ring/{n - 1000}")
        self.assertEqual(got[-1]["resource"], f"{ARN}topic/ring/{n - 1}")
        self.assertEqual([g["id"] for g in got], sorted(g["id"] for g in got))  # oldest first

    def test_follow_prints_new_denials_as_they_happen(self):
        p = subprocess.Popen([built("MOS_BIN", "tools/mos/mos"), "cloud", "denials", "--data-dir", str(self.dir),
                              "--client-id", "follow-me", "--follow"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=self.env, cwd=self.cwd, text=True)
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [lines.put(x) for x in p.stdout], daemon=True).start()

        def next_line(timeout: float = 5) -> str:
            try:
                return lines.get(timeout=timeout)
            except queue.Empty:
                raise AssertionError(f"--follow printed nothing in {timeout} s") from None

        try:
            self.assertEqual(next_line(), "No denials recorded for client id follow-me "
                                          "(the cloud records the last 1000).\n")
            self.assertEqual(next_line(), "Waiting for new ones (Ctrl-C to stop)...\n")
            for _ in range(2):
                t0 = time.monotonic()
                self.assertEqual(self.refused(self.nopolicy, "follow-me"), 5)
                self.assertIn("DENY iot:Connect    client=follow-me", next_line(3))
                self.assertLess(time.monotonic() - t0, 3)
        finally:
            p.send_signal(signal.SIGINT)
            p.wait(timeout=5)
            p.stdout.close()
            p.stderr.close()

    def test_a_busy_registry_drops_the_record_and_never_holds_the_broker(self):
        start = len(self.log.read_bytes())
        db = sqlite3.connect(self.dir / "registry.db", isolation_level=None)
        db.execute("BEGIN IMMEDIATE")  # mos-cloud in the middle of a long write
        try:
            t0 = time.monotonic()
            self.assertEqual(self.refused(self.nopolicy, "while-busy"), 5)
            self.assertLess(time.monotonic() - t0, 1.0)
            wait_until(lambda: b"cannot record a denial in the registry" in self.log.read_bytes()[start:],
                       timeout=5, what="the broker's warning")
        finally:
            db.execute("COMMIT")
            db.close()
        self.assertEqual(self.refused(self.nopolicy, "after-busy"), 5)
        self.wait_rows("client_id = ?", "after-busy")
        self.assertEqual(self.rows("client_id = ?", "while-busy"), [])
        wait_until(lambda: b"recording denials again; 1 were not recorded" in self.log.read_bytes()[start:],
                   timeout=5, what="the broker's all-clear")

    def test_errors_say_what_to_do(self):
        empty = Path(self.tmp.name) / "empty"
        empty.mkdir(exist_ok=True)
        p = self.mos(data_dir=empty, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertEqual(p.stderr.decode(), f"Error: no local cloud in {empty} (it has no registry.db)\n"
                                            f"  -> start one: mos cloud up --data-dir {empty}\n")
        # No --data-dir, nothing here and nothing recorded.
        p = self.mos(data_dir=False, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("Error: no local cloud found", p.stderr.decode())
        self.assertIn("-> start one with `mos cloud up`", p.stderr.decode())
        # A registry from before the denials table.
        old = Path(self.tmp.name) / "old"
        old.mkdir(exist_ok=True)
        db = sqlite3.connect(old / "registry.db")
        db.executescript("CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);")
        db.close()
        p = self.mos(data_dir=old, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("has no denials table yet", p.stderr.decode())
        self.assertIn(f"-> restart the cloud to add it: mos cloud down --data-dir {old} && mos cloud up "
                      f"--data-dir {old}", p.stderr.decode())
        self.assertEqual(self.mos("--limit", "0", check=False).returncode, 2)
        self.assertFalse((empty / "registry.db").exists(), "a reader must not create a registry")


if __name__ == "__main__":
    unittest.main()
