"""A registry.db written directly (as mos-cloud would) and a Mosquitto broker
running mos_policy_plugin.so, for the plugin's end-to-end tests and the bench;
Mqtt, a raw MQTT 3.1.1 client over mutual TLS that shows each answer.

The schema is mos-cloud's (cloud/registry/schema.sql, CLOUD_CONTRACT.md); a
copy of the contract's schema is used when that file is not in the tree.
"""
from __future__ import annotations

import hashlib
import json
import os
import socket
import sqlite3
import ssl
import struct
import subprocess
import time
from pathlib import Path

from mostest import REPO, CertFiles, Mosquitto, Pki, TlsListener, run, wait_until

ACCOUNT = "123456789012"
REGION = "us-east-1"
ARN = f"arn:aws:iot:{REGION}:{ACCOUNT}:"


def plugin_path() -> str:
    p = os.environ.get("MOS_POLICY_PLUGIN") or str(REPO / "build/default/cloud/plugin/mos_policy_plugin.so")
    if not Path(p).exists():
        raise FileNotFoundError(f"{p} not found: build it with "
                                "cmake --build --preset default --target mos_policy_plugin")
    return p


def mos_cloud() -> str:
    p = os.environ.get("MOS_CLOUD") or str(REPO / "build/default/cloud/server/mos-cloud")
    if not Path(p).exists():
        raise FileNotFoundError(f"{p} not found: cmake --build --preset default --target mos-cloud")
    return p


def cloud_init(data_dir: Path, port: int) -> CertFiles:
    """`mos-cloud init` with the plugin in data_dir (registry, CA, the broker
    configuration `mos cloud up` runs); returns the local CA."""
    subprocess.run([mos_cloud(), "init", "--data-dir", str(data_dir), "--mqtt-port", str(port),
                    "--plugin", plugin_path()], check=True, capture_output=True, text=True)
    return CertFiles("ca", data_dir / "ca.pem", data_dir / "ca.key")


def start_broker(data_dir: Path, port: int) -> subprocess.Popen:
    """/usr/sbin/mosquitto with data_dir's mosquitto.conf, once it listens on port."""
    proc = subprocess.Popen(["/usr/sbin/mosquitto", "-c", str(data_dir / "mosquitto.conf")],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def listening() -> bool:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            return proc.poll() is not None  # exited: stop waiting, the caller sees it

    wait_until(listening, timeout=10, what="mosquitto to listen")
    if proc.poll() is not None:
        raise RuntimeError(f"mosquitto exited ({proc.returncode}); see {data_dir / 'mosquitto.log'}")
    return proc


def cert_id(cert: CertFiles) -> str:
    """AWS IoT certificate id: SHA-256 of the DER encoding, lowercase hex."""
    der = run(["openssl", "x509", "-in", str(cert.cert), "-outform", "DER"], text=False).stdout
    return hashlib.sha256(der).hexdigest()


def policy(*statements: dict) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(actions, resources) -> dict:
    return {"Effect": "Allow", "Action": actions, "Resource": resources}


def deny(actions, resources) -> dict:
    return {"Effect": "Deny", "Action": actions, "Resource": resources}


class Registry:
    """Writes registry.db the way mos-cloud does (WAL, one commit per change)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.db = sqlite3.connect(self.path, isolation_level=None)
        self.db.execute("PRAGMA journal_mode=WAL")
        # The very schema mos-cloud creates (cloud/registry/schema.sql).
        self.db.executescript((REPO / "cloud/registry/schema.sql").read_text())
        self.db.execute("INSERT OR REPLACE INTO meta VALUES('account_id', ?)", (ACCOUNT,))
        self.db.execute("INSERT OR REPLACE INTO meta VALUES('region', ?)", (REGION,))

    def close(self) -> None:
        self.db.close()

    def add_cert(self, cert: CertFiles, status: str = "ACTIVE") -> str:
        """Registers cert; returns its ARN."""
        cid = cert_id(cert)
        arn = f"{ARN}cert/{cid}"
        now = int(time.time())
        self.db.execute(
            "INSERT INTO certificates(id, arn, status, pem, subject, created_at, updated_at,"
            " not_before, not_after) VALUES(?,?,?,?,?,?,?,?,?)",
            (cid, arn, status, Path(cert.cert).read_text(), f"CN={cert.name}", now, now, now,
             now + 86400))
        return arn

    def set_status(self, cert: CertFiles, status: str) -> None:
        self.db.execute("UPDATE certificates SET status=?, updated_at=? WHERE id=?",
                        (status, int(time.time()), cert_id(cert)))

    def delete_cert(self, cert: CertFiles) -> None:
        self.db.execute("DELETE FROM certificates WHERE id=?", (cert_id(cert),))

    def add_policy(self, name: str, document: str) -> None:
        now = int(time.time())
        self.db.execute("INSERT INTO policies VALUES(?,?,1,2,?,?)", (name, f"{ARN}policy/{name}", now, now))
        self.db.execute("INSERT INTO policy_versions VALUES(?,1,?,?)", (name, document, now))

    def attach(self, policy_name: str, principal_arn: str) -> None:
        self.db.execute("INSERT INTO principal_policies VALUES(?,?)", (principal_arn, policy_name))

    def add_thing(self, name: str, attributes: dict | None = None, principal_arn: str | None = None) -> None:
        self.db.execute(
            "INSERT INTO things(name, arn, thing_id, attributes, created_at) VALUES(?,?,?,?,?)",
            (name, f"{ARN}thing/{name}", hashlib.md5(name.encode()).hexdigest(),
             json.dumps(attributes or {}), int(time.time())))
        if principal_arn:
            self.db.execute("INSERT INTO thing_principals VALUES(?,?)", (name, principal_arn))


class PolicyBroker(Mosquitto):
    """Mosquitto with one mTLS listener (require_certificate) and, unless
    plugin=False, mos_policy_plugin.so reading registry_db."""

    def __init__(self, workdir, ca: CertFiles, server: CertFiles, registry_db=None,
                 dataplane_sha256: str | None = None, plugin: bool = True, quiet: bool = False):
        extra = []
        if plugin:
            extra += [f"plugin {plugin_path()}", f"plugin_opt_registry_db {registry_db}"]
            if dataplane_sha256:
                extra.append(f"plugin_opt_dataplane_sha256 {dataplane_sha256}")
        super().__init__(workdir, plain=False,
                         tls=TlsListener(ca, server, require_certificate=True,
                                         use_identity_as_username=False),
                         extra=extra)
        self.quiet = quiet

    def _write_conf(self) -> None:
        super()._write_conf()
        if self.quiet:
            # The bench must not measure log writing: keep errors/warnings/notices only.
            text = self.conf.read_text().replace("log_type all\n", "log_type error\nlog_type warning\n"
                                                 "log_type notice\n").replace("connection_messages true",
                                                                             "connection_messages false")
            self.conf.write_text(text)

    def wait_log(self, needle: str, timeout: float = 5.0, start: int = 0) -> str:
        """Waits until needle appears in the log after offset start; returns that line."""
        deadline = time.monotonic() + timeout
        while True:
            text = self.log_text()[start:]
            idx = text.find(needle)
            if idx >= 0:
                line_start = text.rfind("\n", 0, idx) + 1
                line_end = text.find("\n", idx)
                return text[line_start:line_end if line_end >= 0 else len(text)]
            if time.monotonic() >= deadline:
                raise TimeoutError(f"'{needle}' not in the broker log after {timeout}s:\n{text[-3000:]}")
            time.sleep(0.01)

    def log_size(self) -> int:
        return len(self.log_text())


def client_args(broker: Mosquitto, ca: CertFiles, cert: CertFiles, client_id: str) -> list[str]:
    return ["-h", "127.0.0.1", "-p", str(broker.tls_port), "--cafile", str(ca.cert), "--cert",
            str(cert.cert), "--key", str(cert.key), "-i", client_id]


def pub(broker, ca, cert, client_id, topic, message="m", qos=1, timeout=10) -> subprocess.CompletedProcess:
    return subprocess.run(["mosquitto_pub", *client_args(broker, ca, cert, client_id), "-t", topic, "-m",
                           message, "-q", str(qos)], capture_output=True, text=True, timeout=timeout)


def mqtt_string(s: bytes) -> bytes:
    return struct.pack("!H", len(s)) + s


def remaining_length(n: int) -> bytes:
    out = bytearray()
    while True:
        b, n = n % 128, n // 128
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


class Mqtt:
    """Just enough MQTT 3.1.1 over mutual TLS to see each answer."""

    def __init__(self, port: int, ca: Path, cert: CertFiles) -> None:
        ctx = ssl.create_default_context(cafile=str(ca))
        ctx.check_hostname = False
        ctx.load_cert_chain(str(cert.cert), str(cert.key))
        raw = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.sock = ctx.wrap_socket(raw, server_hostname="localhost")
        self.mid = 0

    def close(self) -> None:
        try:
            self.sock.close()
        except OSError:
            pass

    def _read_exact(self, n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                raise ConnectionError("closed by the broker")
            buf += chunk
        return buf

    def read_packet(self) -> tuple[int, bytes]:
        first = self._read_exact(1)[0]
        mult, length = 1, 0
        while True:
            b = self._read_exact(1)[0]
            length += (b & 0x7F) * mult
            mult *= 128
            if not b & 0x80:
                break
        return first, self._read_exact(length)

    def connect(self, client_id: str | bytes) -> int:
        """CONNACK return code (0 accepted); raises if the broker just closes.
        A bytes client id is sent as it is (MQTT allows up to 65535 bytes)."""
        cid = client_id if isinstance(client_id, bytes) else client_id.encode()
        body = mqtt_string(b"MQTT") + bytes([4, 0x02]) + struct.pack("!H", 60) + mqtt_string(cid)
        self.sock.sendall(bytes([0x10]) + remaining_length(len(body)) + body)
        kind, data = self.read_packet()
        assert kind == 0x20, hex(kind)
        return data[1]

    def subscribe(self, filters: list[str]) -> list[int]:
        self.mid += 1
        body = struct.pack("!H", self.mid) + b"".join(mqtt_string(f.encode()) + b"\x01" for f in filters)
        self.sock.sendall(bytes([0x82]) + remaining_length(len(body)) + body)
        kind, data = self.read_packet()
        assert kind == 0x90, hex(kind)
        return list(data[2:])

    def publish(self, topic: str, payload: bytes, qos: int = 1) -> None:
        self.mid += 1
        var = mqtt_string(topic.encode()) + (struct.pack("!H", self.mid) if qos else b"")
        self.sock.sendall(bytes([0x30 | (qos << 1)]) + remaining_length(len(var) + len(payload)) + var + payload)

    def wait_puback(self) -> None:
        while True:
            kind, _ = self.read_packet()
            if kind == 0x40:
                return

    def next_publish(self) -> tuple[str, bytes]:
        while True:
            kind, data = self.read_packet()
            if kind >> 4 == 3:
                n = struct.unpack("!H", data[:2])[0]
                topic = data[2:2 + n].decode()
                rest = data[2 + n + (2 if kind & 0x06 else 0):]
                if kind & 0x06:  # QoS 1: acknowledge
                    self.sock.sendall(b"\x40\x02" + data[2 + n:4 + n])
                return topic, rest

    def closed_by_broker(self, timeout: float = 3.0) -> bool:
        self.sock.settimeout(timeout)
        try:
            while True:
                self.read_packet()
        except socket.timeout:  # an OSError too: test it first
            return False
        except (ConnectionError, ssl.SSLError, OSError):
            return True
