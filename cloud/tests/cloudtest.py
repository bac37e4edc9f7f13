"""Helpers for the mos-cloud end-to-end tests: a mos-cloud server on a free
port in a temporary data dir, the real AWS CLI v2 and boto3 pointed at it."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "testing"))
import mostest  # noqa: E402

MOS_CLOUD = os.environ.get("MOS_CLOUD_BIN", str(mostest.REPO / "build/default/cloud/server/mos-cloud"))
MOS = os.environ.get("MOS_BIN", str(mostest.REPO / "build/default/tools/mos/mos"))
PLUGIN = os.environ.get("MOS_POLICY_PLUGIN",
                        str(mostest.REPO / "build/default/cloud/plugin/mos_policy_plugin.so"))
AWS = "/usr/bin/aws" if os.path.exists("/usr/bin/aws") else "aws"

ACCESS_KEY = "AKIDMOSLOCAL"
SECRET = "mos-local-secret"
REGION = "us-east-1"

POLICY_ALLOW_ALL = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Action": "iot:*", "Resource": "*"}]})


def aws_env(secret: str = SECRET, key: str = ACCESS_KEY, region: str = REGION) -> dict:
    env = dict(os.environ)
    env.update({"AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret,
                "AWS_DEFAULT_REGION": region, "AWS_CONFIG_FILE": "/dev/null",
                "AWS_SHARED_CREDENTIALS_FILE": "/dev/null", "AWS_EC2_METADATA_DISABLED": "true",
                "AWS_PAGER": "", "AWS_MAX_ATTEMPTS": "1", "AWS_RETRY_MODE": "standard"})
    env.pop("AWS_SESSION_TOKEN", None)
    env.pop("AWS_PROFILE", None)
    return env


class Server:
    """mos-cloud init + serve in a fresh data dir; with broker=True also
    Mosquitto with the policy plugin on the config `mos-cloud init` writes."""

    def __init__(self, broker: bool = False) -> None:
        self.tmp = tempfile.TemporaryDirectory(prefix="mos-cloud-test-")
        self.dir = Path(self.tmp.name)
        self.port = mostest.free_port()
        self.https_port = mostest.free_port()
        self.mqtt_port = mostest.free_port()
        self.proc: subprocess.Popen | None = None
        self.broker = broker
        self.mosquitto: subprocess.Popen | None = None

    def start(self) -> "Server":
        init = [MOS_CLOUD, "init", "--data-dir", str(self.dir), "--mqtt-port", str(self.mqtt_port)]
        if self.broker:
            if not Path(PLUGIN).exists():
                raise FileNotFoundError(f"{PLUGIN} not found: cmake --build --preset default --target mos_policy_plugin")
            init += ["--plugin", PLUGIN]
        mostest.run(init)
        if self.broker:
            self.mosquitto = subprocess.Popen([mostest.MOSQUITTO, "-c", str(self.dir / "mosquitto.conf")],
                                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            mostest.wait_for_port(self.mqtt_port)
        self.log = open(self.dir / "mos-cloud.log", "ab")
        self.proc = subprocess.Popen([MOS_CLOUD, "serve", "--data-dir", str(self.dir), "--http-port",
                                      str(self.port), "--https-port", str(self.https_port),
                                      "--mqtt-port", str(self.mqtt_port)],
                                     stdout=self.log, stderr=subprocess.STDOUT)
        mostest.wait_for_port(self.port)
        mostest.wait_for_port(self.https_port)
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def https_url(self) -> str:
        """The API over TLS; verify with ca_file (AWS_CA_BUNDLE for the CLI)."""
        return f"https://localhost:{self.https_port}"

    @property
    def ca_file(self) -> str:
        return str(self.dir / "ca.pem")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        for proc in (self.proc, self.mosquitto):
            if proc and proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
        if self.proc:
            self.log.close()
        self.proc = self.mosquitto = None
        self.tmp.cleanup()

    def broker_log(self) -> str:
        p = self.dir / "mosquitto.log"
        return p.read_text(errors="replace") if p.exists() else ""

    def aws(self, *args: str, env: dict | None = None, check: bool = True, service: str = "iot"):
        """Runs `aws --endpoint-url URL <service> args...`; parsed JSON (or the process)."""
        p = subprocess.run([AWS, "--endpoint-url", self.url, "--output", "json", service, *args],
                           capture_output=True, text=True, env=env or aws_env(), timeout=60)
        if not check:
            return p
        if p.returncode != 0:
            raise AssertionError(f"aws {service} {' '.join(args)} failed ({p.returncode}): {p.stderr}")
        return json.loads(p.stdout) if p.stdout.strip() else {}

    def boto3(self, service: str = "iot", secret: str = SECRET):
        import boto3
        from botocore.config import Config
        return boto3.client(service, endpoint_url=self.url, region_name=REGION,
                            aws_access_key_id=ACCESS_KEY, aws_secret_access_key=secret,
                            config=Config(retries={"max_attempts": 1}))


def make_csr(directory: Path, name: str, kind: str = "ec", bits: int = 2048, curve: str = "P-256") -> Path:
    key, csr = directory / f"{name}.key", directory / f"{name}.csr"
    if kind == "ec":
        mostest.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", f"ec_paramgen_curve:{curve}",
                     "-out", str(key)])
    else:
        mostest.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", f"rsa_keygen_bits:{bits}",
                     "-out", str(key)])
    mostest.run(["openssl", "req", "-new", "-key", str(key), "-subj", f"/CN={name}", "-out", str(csr)])
    return csr
