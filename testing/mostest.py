"""Shared helpers for mos end-to-end tests (stdlib only).

Real peers are started on 127.0.0.1 at free ports chosen at run time, and
stopped by the test that started them:

    with tempfile.TemporaryDirectory() as d:
        pki = Pki(d)
        ca = pki.ca("test-ca")
        srv = pki.cert("server", ca, san="DNS:localhost,IP:127.0.0.1")
        with Mosquitto(d, tls=TlsListener(ca, srv)) as broker:
            broker.port, broker.tls_port ...
"""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with contextlib.closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port: int, timeout: float = 10.0, host: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on {host}:{port} after {timeout}s")


def wait_until(predicate, timeout: float = 10.0, interval: float = 0.05, what: str = "condition"):
    """Polls predicate() until it returns a truthy value; returns that value."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


def run(cmd, **kw) -> subprocess.CompletedProcess:
    """Runs a command, raising with its output when it fails."""
    kw.setdefault("capture_output", True)
    kw.setdefault("text", True)
    p = subprocess.run(cmd, **kw)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(map(str, cmd))} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return p


@dataclass
class CertFiles:
    name: str
    cert: Path
    key: Path


class Pki:
    """Certificates made with the openssl CLI in a directory."""

    def __init__(self, directory) -> None:
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)

    def _key(self, path: Path, kind: str) -> None:
        if kind == "ec":
            run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                 "-out", str(path)])
        elif kind == "rsa":
            run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                 "-out", str(path)])
        else:
            raise ValueError(f"unknown key kind {kind}")

    def ca(self, name: str = "mos-test-ca", kind: str = "ec", days: int = 30) -> CertFiles:
        key, cert = self.dir / f"{name}.key", self.dir / f"{name}.pem"
        self._key(key, kind)
        run(["openssl", "req", "-x509", "-new", "-key", str(key), "-subj", f"/CN={name}",
             "-days", str(days), "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", str(cert)])
        return CertFiles(name, cert, key)

    def cert(self, name: str, ca: CertFiles, kind: str = "ec", san: str | None = None,
             days: int = 30, cn: str | None = None) -> CertFiles:
        """A leaf certificate signed by ca; san like 'DNS:localhost,IP:127.0.0.1'."""
        key, csr, cert = (self.dir / f"{name}.key", self.dir / f"{name}.csr",
                          self.dir / f"{name}.pem")
        self._key(key, kind)
        run(["openssl", "req", "-new", "-key", str(key), "-subj", f"/CN={cn or name}",
             "-out", str(csr)])
        ext = self.dir / f"{name}.ext"
        lines = ["basicConstraints=CA:FALSE"]
        if san:
            lines.append(f"subjectAltName={san}")
        ext.write_text("\n".join(lines) + "\n")
        run(["openssl", "x509", "-req", "-in", str(csr), "-CA", str(ca.cert), "-CAkey",
             str(ca.key), "-CAcreateserial", "-days", str(days), "-sha256", "-extfile", str(ext),
             "-out", str(cert)])
        return CertFiles(name, cert, key)


@dataclass
class TlsListener:
    ca: CertFiles
    server: CertFiles
    require_certificate: bool = True
    use_identity_as_username: bool = True


@dataclass
class Mosquitto:
    """A real Mosquitto broker on 127.0.0.1, plain and/or TLS listener.

    extra: more mosquitto.conf lines (e.g. a plugin). The log is kept in
    workdir/mosquitto.log; log_text() reads it.
    """

    workdir: str
    plain: bool = True
    tls: TlsListener | None = None
    extra: list[str] = field(default_factory=list)
    port: int = 0
    tls_port: int = 0

    def __post_init__(self) -> None:
        self.dir = Path(self.workdir)
        self.conf = self.dir / "mosquitto.conf"
        self.log = self.dir / "mosquitto.log"
        self.proc: subprocess.Popen | None = None

    def _write_conf(self) -> None:
        lines = ["per_listener_settings false", "allow_anonymous true", f"log_dest file {self.log}",
                 "log_type all", "connection_messages true", "persistence false", "user root"]
        if self.plain:
            self.port = self.port or free_port()
            lines.append(f"listener {self.port} 127.0.0.1")
        if self.tls:
            self.tls_port = self.tls_port or free_port()
            t = self.tls
            lines += [f"listener {self.tls_port} 127.0.0.1", f"cafile {t.ca.cert}",
                      f"certfile {t.server.cert}", f"keyfile {t.server.key}",
                      "tls_version tlsv1.2",
                      f"require_certificate {'true' if t.require_certificate else 'false'}",
                      f"use_identity_as_username {'true' if t.use_identity_as_username else 'false'}"]
        lines += self.extra
        self.conf.write_text("\n".join(lines) + "\n")

    def start(self) -> "Mosquitto":
        self._write_conf()
        self.stderr = self.dir / "mosquitto.stderr"
        with open(self.stderr, "wb") as err:
            self.proc = subprocess.Popen([MOSQUITTO, "-c", str(self.conf)],
                                         stdout=subprocess.DEVNULL, stderr=err)

        def listening() -> bool:
            if self.proc.poll() is not None:
                raise RuntimeError(f"mosquitto exited ({self.proc.returncode}):\n"
                                   f"{self.stderr.read_text(errors='replace')}{self.log_text()}")
            for p in (self.port if self.plain else 0, self.tls_port):
                if not p:
                    continue
                try:
                    socket.create_connection(("127.0.0.1", p), timeout=0.5).close()
                except OSError:
                    return False
            return True

        try:
            wait_until(listening, timeout=10, what="mosquitto to listen")
        except (TimeoutError, RuntimeError):
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def __enter__(self) -> "Mosquitto":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class Subscriber:
    """mosquitto_sub in the background; messages() returns lines received so far."""

    def __init__(self, args: list[str]) -> None:
        self.out = tempfile.NamedTemporaryFile("w+", delete=False, suffix=".sub")
        self.proc = subprocess.Popen(["mosquitto_sub", *args], stdout=self.out,
                                     stderr=subprocess.STDOUT)

    def messages(self) -> list[str]:
        return Path(self.out.name).read_text(errors="replace").splitlines()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=5)
        os.unlink(self.out.name)

    def __enter__(self) -> "Subscriber":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
