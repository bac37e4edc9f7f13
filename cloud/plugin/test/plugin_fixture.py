"""A registry.db written directly (as mos-cloud would) and a Mosquitto broker
running mos_policy_plugin.so, for the plugin's end-to-end tests and the bench.

The schema is mos-cloud's (cloud/registry/schema.sql, CLOUD_CONTRACT.md); a
copy of the contract's schema is used when that file is not in the tree.
"""
from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import time
from pathlib import Path

from mostest import REPO, CertFiles, Mosquitto, Pki, TlsListener, run

ACCOUNT = "123456789012"
REGION = "us-east-1"
ARN = f"arn:aws:iot:{REGION}:{ACCOUNT}:"


def plugin_path() -> str:
    p = os.environ.get("MOS_POLICY_PLUGIN") or str(REPO / "build/default/cloud/plugin/mos_policy_plugin.so")
    if not Path(p).exists():
        raise FileNotFoundError(f"{p} not found: build it with "
                                "cmake --build --preset default --target mos_policy_plugin")
    return p


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
