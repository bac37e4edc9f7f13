"""End to end, with the broker configuration `mos-cloud init` writes: AWS IoT
Core's message broker limits (cloud/README.md, "Broker limits") enforced by
Mosquitto + mos_policy_plugin.so, the broker's memory staying flat under a
100 MB PUBLISH, the data dir's permissions, and the connections table that
`mos cloud status` reads (a hostile client id cannot fake a disconnect).

Needs MOS_CLOUD (the mos-cloud binary) and MOS_POLICY_PLUGIN; a tiny MQTT
3.1.1 client over TLS (plugin_fixture.Mqtt) checks each packet's answer.
"""
from __future__ import annotations

import os
import sqlite3
import ssl
import stat
import struct
import tempfile
import time
import unittest
from pathlib import Path

from mostest import Pki, free_port, wait_until
from plugin_fixture import (Mqtt, Registry, allow, cloud_init, deny, mqtt_string, policy, remaining_length,
                            start_broker)


def vm(pid: int, key: str) -> int:
    """VmRSS / VmHWM of pid in kB (/proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


class BrokerLimits(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = tempfile.TemporaryDirectory()
        cls.dir = Path(cls.tmp.name) / "cloud"
        cls.port = free_port()
        os.umask(0o022)
        cls.ca = cloud_init(cls.dir, cls.port)
        pki = Pki(Path(cls.tmp.name) / "pki")
        cls.dev = pki.cert("dev1", cls.ca)
        cls.reg = Registry(cls.dir / "registry.db")
        arn = cls.reg.add_cert(cls.dev)
        cls.reg.add_policy("dev", policy(allow("iot:Connect", "*"),
                                         allow(["iot:Publish", "iot:Receive"], "arn:aws:iot:*:*:topic/*"),
                                         allow("iot:Subscribe", "arn:aws:iot:*:*:topicfilter/*"),
                                         deny("iot:Publish", "arn:aws:iot:*:*:topic/denied/*")))
        cls.reg.attach("dev", arn)
        cls.log = cls.dir / "mosquitto.log"
        cls.proc = start_broker(cls.dir, cls.port)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.proc.terminate()
        cls.proc.wait(timeout=10)
        cls.reg.close()
        cls.tmp.cleanup()

    def client(self, client_id: str = "dev1") -> Mqtt:
        c = Mqtt(self.port, self.ca.cert, self.dev)
        self.addCleanup(c.close)
        self.assertEqual(c.connect(client_id), 0)
        return c

    def wait_log(self, needle: str) -> str:
        def found():
            for line in self.log.read_text(errors="replace").splitlines():
                if needle in line:
                    return line
            return None
        return wait_until(found, timeout=5, what=f"'{needle}' in the broker log")

    # -- AWS IoT Core's message broker limits --
    def test_payload_of_128_kb_passes_and_one_byte_more_disconnects(self):
        sub = self.client("sub-payload")
        self.assertEqual(sub.subscribe(["big/#"]), [1])
        c = self.client("pub-payload")
        c.publish("big/ok", b"x" * (128 * 1024))
        c.wait_puback()
        topic, payload = sub.next_publish()
        self.assertEqual((topic, len(payload)), ("big/ok", 128 * 1024))
        c.publish("big/too", b"x" * (128 * 1024 + 1))
        self.assertTrue(c.closed_by_broker(), "AWS closes the connection on a payload over 128 KB")
        self.assertIn("payload is 131073 bytes; AWS IoT allows at most 131072", self.wait_log("131073 bytes"))

    def test_topic_with_8_slashes_disconnects_7_pass(self):
        c = self.client("pub-deep")
        c.publish("a/b/c/d/e/f/g/h", b"ok")  # 7 slashes, 8 levels
        c.wait_puback()
        c.publish("a/b/c/d/e/f/g/h/i", b"deep")
        self.assertTrue(c.closed_by_broker())
        self.assertIn("8 forward slashes (9 levels); AWS IoT allows at most 7", self.wait_log("9 levels"))

    def test_topic_over_256_bytes_disconnects(self):
        c = self.client("pub-long")
        c.publish("t/" + "x" * 254, b"ok")  # 256 bytes
        c.wait_puback()
        c.publish("t/" + "x" * 255, b"long")
        self.assertTrue(c.closed_by_broker())
        self.wait_log("topic is 257 bytes")

    def test_too_deep_or_long_filter_is_refused_in_suback(self):
        c = self.client("sub-deep")
        self.assertEqual(c.subscribe(["a/b/c/d/e/f/g/#", "a/b/c/d/e/f/g/h/#", "f/" + "x" * 255]),
                         [1, 0x80, 0x80])
        self.assertFalse(c.closed_by_broker(0.3))

    def test_client_id_over_128_bytes_is_refused(self):
        self.client("c" * 128).close()
        c = Mqtt(self.port, self.ca.cert, self.dev)
        self.addCleanup(c.close)
        try:
            rc = c.connect("c" * 129)
        except (ConnectionError, ssl.SSLError, OSError):
            rc = -1
        self.assertNotEqual(rc, 0)
        self.assertIn("client id is 129 bytes; AWS IoT allows at most 128", self.wait_log("129 bytes"))

    def test_51st_subscription_is_refused_unsubscribe_frees_a_slot(self):
        c = self.client("sub-many")
        codes = []
        for i in range(0, 50, 8):  # AWS: at most 8 filters per SUBSCRIBE
            codes += c.subscribe([f"s/{j}" for j in range(i, min(i + 8, 50))])
        self.assertEqual(codes, [1] * 50)
        self.assertEqual(c.subscribe(["s/0"]), [1])  # the same filter again is not a new one
        self.assertEqual(c.subscribe(["s/50"]), [0x80])
        self.wait_log("already has 50 subscriptions; AWS IoT allows at most 50")
        c.mid += 1  # UNSUBSCRIBE s/0, then s/50 fits
        body = struct.pack("!H", c.mid) + mqtt_string(b"s/0")
        c.sock.sendall(bytes([0xA2]) + remaining_length(len(body)) + body)
        self.assertEqual(c.read_packet()[0], 0xB0)
        self.assertEqual(c.subscribe(["s/50"]), [1])

    def test_100_mb_publish_to_denied_topic_leaves_memory_flat(self):
        c = self.client("pub-huge")
        before = vm(self.proc.pid, "VmRSS")
        size = 100 * 1024 * 1024
        var = mqtt_string(b"denied/x") + struct.pack("!H", 1)
        c.sock.sendall(bytes([0x32]) + remaining_length(len(var) + size) + var)
        chunk = b"\0" * (1 << 20)
        sent = 0
        try:
            while sent < size:
                c.sock.sendall(chunk)
                sent += len(chunk)
        except (ConnectionError, ssl.SSLError, OSError):
            pass
        self.assertTrue(c.closed_by_broker())
        after = vm(self.proc.pid, "VmRSS")
        peak = vm(self.proc.pid, "VmHWM")
        print(f"\nmosquitto VmRSS {before} kB -> {after} kB (peak {peak} kB) after a "
              f"{size >> 20} MB PUBLISH ({sent >> 20} MB sent before the broker hung up)")
        self.assertLess(after - before, 4 * 1024)
        self.assertLess(peak, before + 4 * 1024)
        self.assertLess(sent, size)

    # -- the connections table (Registry::connected_clients) --
    def connections(self) -> dict[str, tuple]:
        db = sqlite3.connect(self.dir / "registry.db")
        try:
            return {r[0]: r[1:] for r in db.execute(
                "SELECT client_id, certificate_id, thing_name FROM connections")}
        finally:
            db.close()

    def test_connections_come_from_the_broker_not_its_log(self):
        hostile = "evil disconnected"  # "Client evil disconnected." in a log is not a disconnect
        c = self.client(hostile)
        wait_until(lambda: hostile in self.connections(), timeout=5, what="the connect row")
        other = self.client("other")
        wait_until(lambda: "other" in self.connections(), timeout=5, what="the other row")
        other.close()
        wait_until(lambda: "other" not in self.connections(), timeout=5, what="the disconnect")
        self.assertIn(hostile, self.connections())
        c.close()
        wait_until(lambda: hostile not in self.connections(), timeout=5, what="the hostile disconnect")

    def test_takeover_keeps_the_new_sessions_row(self):
        a = self.client("twin")
        b = self.client("twin")  # takes over: the broker drops a
        self.assertTrue(a.closed_by_broker())
        time.sleep(0.3)
        self.assertIn("twin", self.connections())
        b.close()
        wait_until(lambda: "twin" not in self.connections(), timeout=5, what="the disconnect")

    # -- the data dir (mos-cloud init) --
    def test_data_dir_is_owner_only(self):
        self.assertEqual(stat.S_IMODE(self.dir.stat().st_mode), 0o700)
        for f in ("ca.key", "server.key", "dataplane.key", "console.key", "registry.db", "mosquitto.conf"):
            self.assertEqual(stat.S_IMODE((self.dir / f).stat().st_mode), 0o600, f)
        self.assertIn("set_tcp_nodelay true", (self.dir / "mosquitto.conf").read_text())


if __name__ == "__main__":
    unittest.main()
