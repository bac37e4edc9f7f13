"""End to end through the AWS IoT API: `mos cloud up` (mos-cloud + Mosquitto
with mos_policy_plugin.so), certificates and policies made with boto3 against
mos-cloud, then mosquitto_pub/mosquitto_sub over mutual TLS (issue #4):

  - a certificate with no policy attached -> connection refused (and logged);
  - a policy allowing only topic/dev/${iot:ClientId}/* -> other publishes
    are dropped and each denial is logged with its reason;
  - UpdateCertificate to REVOKED / INACTIVE -> the live mosquitto_sub is
    kicked within 1 s and refused on reconnect.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

from mostest import REPO, Subscriber, free_port, run, wait_for_port, wait_until

BUILD = Path(os.environ.get("MOS_BUILD_DIR", REPO / "build/default"))
MOS = Path(os.environ.get("MOS_BIN", BUILD / "tools/mos/mos"))
PLUGIN = Path(os.environ.get("MOS_POLICY_PLUGIN", BUILD / "cloud/plugin/mos_policy_plugin.so"))
ACCESS_KEY, SECRET_KEY, REGION = "AKIDMOSLOCAL", "mos-local-secret", "us-east-1"


def missing_prerequisite() -> str | None:
    try:
        import boto3  # noqa: F401
    except ImportError:
        return "boto3 is not installed (apt-get install python3-boto3)"
    if not MOS.exists():
        return f"{MOS} not built"
    if subprocess.run([str(MOS), "cloud", "--help"], capture_output=True).returncode != 0:
        return "this mos has no `cloud` command yet"
    if not PLUGIN.exists():
        return f"{PLUGIN} not built"
    return None


@unittest.skipIf(missing_prerequisite(), missing_prerequisite() or "")
class PluginThroughApi(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        import boto3
        cls.tmp = tempfile.TemporaryDirectory()
        cls.data = Path(cls.tmp.name) / "cloud"
        cls.http_port, cls.mqtt_port = free_port(), free_port()
        up = subprocess.run([str(MOS), "cloud", "up", "--data-dir", str(cls.data), "--http-port",
                             str(cls.http_port), "--https-port", "0", "--mqtt-port", str(cls.mqtt_port),
                             "--plugin", str(PLUGIN)],
                            capture_output=True, text=True, timeout=60)
        if up.returncode != 0:
            log = cls.data / "mosquitto.log"
            cls.tmp.cleanup()
            raise RuntimeError(f"mos cloud up failed ({up.returncode}):\n{up.stdout}\n{up.stderr}\n"
                               f"{log.read_text() if log.exists() else ''}")
        try:
            wait_for_port(cls.http_port)
            wait_for_port(cls.mqtt_port)
        except TimeoutError:
            cls._down()
            raise
        cls.iot = boto3.client("iot", endpoint_url=f"http://127.0.0.1:{cls.http_port}", region_name=REGION,
                               aws_access_key_id=ACCESS_KEY, aws_secret_access_key=SECRET_KEY)
        cls.n = 0

    @classmethod
    def _down(cls) -> None:
        subprocess.run([str(MOS), "cloud", "down", "--data-dir", str(cls.data)], capture_output=True,
                       timeout=60)
        cls.tmp.cleanup()

    @classmethod
    def tearDownClass(cls) -> None:
        cls._down()

    def setUp(self) -> None:
        self.subs: list[Subscriber] = []

    def tearDown(self) -> None:
        for s in self.subs:
            s.stop()

    # -- helpers --
    @property
    def log(self) -> Path:
        return self.data / "mosquitto.log"

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_log(self, needle: str, start: int, timeout: float = 5.0) -> str:
        def find():
            text = self.log_text()[start:]
            i = text.find(needle)
            if i < 0:
                return None
            return text[text.rfind("\n", 0, i) + 1:(text.find("\n", i) + 1 or len(text) + 1) - 1]
        try:
            return wait_until(find, timeout=timeout, interval=0.01, what=needle)
        except TimeoutError:
            raise AssertionError(f"'{needle}' not logged:\n{self.log_text()[start:][-3000:]}")

    def issue_certificate(self, name: str) -> dict:
        """Key + CSR made locally, certificate issued by CreateCertificateFromCsr."""
        d = Path(self.tmp.name)
        key, csr = d / f"{name}.key", d / f"{name}.csr"
        run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", str(key)])
        run(["openssl", "req", "-new", "-key", str(key), "-subj", f"/CN={name}", "-out", str(csr)])
        r = self.iot.create_certificate_from_csr(certificateSigningRequest=csr.read_text(), setAsActive=True)
        pem = d / f"{name}.pem"
        pem.write_text(r["certificatePem"])
        return {"id": r["certificateId"], "arn": r["certificateArn"], "cert": pem, "key": key}

    def policy(self, name: str, *statements) -> str:
        self.iot.create_policy(policyName=name, policyDocument=json.dumps(
            {"Version": "2012-10-17", "Statement": list(statements)}))
        return name

    def args(self, c: dict, client_id: str) -> list[str]:
        return ["-h", "127.0.0.1", "-p", str(self.mqtt_port), "--cafile", str(self.data / "ca.pem"),
                "--cert", str(c["cert"]), "--key", str(c["key"]), "-i", client_id]

    def pub(self, c, client_id, topic, message="m"):
        return subprocess.run(["mosquitto_pub", *self.args(c, client_id), "-t", topic, "-m", message, "-q", "1"],
                              capture_output=True, text=True, timeout=20)

    def subscribe(self, c, client_id, topic_filter, probe_topic) -> Subscriber:
        """mosquitto_sub in the background, returned once it receives a probe that
        c publishes to probe_topic (the broker's default log level does not show
        SUBACKs, and mosquitto_sub flushes only message lines)."""
        s = Subscriber([*self.args(c, client_id), "-t", topic_filter, "-v", "-q", "1"])
        self.subs.append(s)
        deadline = time.monotonic() + 15
        while not any(line.startswith(probe_topic + " ") for line in s.messages()):
            if time.monotonic() > deadline or s.proc.poll() is not None:
                raise AssertionError(f"{client_id} did not receive its probe: {s.messages()}\n"
                                     f"{self.log_text()[-2000:]}")
            self.pub(c, client_id + "-probe", probe_topic, "probe")
            time.sleep(0.2)
        return s

    @staticmethod
    def received(s: Subscriber) -> list[str]:
        """Message lines other than the readiness probes."""
        return [line for line in s.messages() if not line.endswith(" probe")]

    def unique(self, stem: str) -> str:
        PluginThroughApi.n += 1
        return f"{stem}-{os.getpid()}-{PluginThroughApi.n}"

    # -- tests --
    def test_no_policy_attached_is_refused(self):
        dev = self.issue_certificate(self.unique("nopolicy"))
        mark = len(self.log_text())
        r = self.pub(dev, "nopolicy-client", "a/b")
        self.assertNotEqual(r.returncode, 0, r.stdout + r.stderr)
        line = self.wait_log("DENY iot:Connect", mark)
        self.assertIn(f"principal={dev['id']}", line)
        self.assertIn("client=nopolicy-client", line)
        self.assertIn("no statement allows", line)

    def test_policy_allows_only_own_topics_denials_logged(self):
        watcher = self.issue_certificate(self.unique("watcher"))
        watch = self.policy(self.unique("watch-all"), {"Effect": "Allow", "Action": "iot:*", "Resource": "*"})
        self.iot.attach_policy(policyName=watch, target=watcher["arn"])
        dev = self.issue_certificate(self.unique("dev"))
        account = dev["arn"].split(":")[4]
        own = self.policy(self.unique("dev-own"),
                          {"Effect": "Allow", "Action": "iot:Connect",
                           "Resource": f"arn:aws:iot:{REGION}:{account}:client/${{iot:ClientId}}"},
                          {"Effect": "Allow", "Action": "iot:Publish",
                           "Resource": f"arn:aws:iot:{REGION}:{account}:topic/dev/${{iot:ClientId}}/*"})
        self.iot.attach_policy(policyName=own, target=dev["arn"])
        sub = self.subscribe(watcher, "watcher-1", "dev/#", "dev/_probe")
        mark = len(self.log_text())
        self.assertEqual(self.pub(dev, "esp_1", "dev/esp_1/temp", "allowed").returncode, 0)
        self.assertEqual(self.pub(dev, "esp_1", "dev/esp_2/temp", "forbidden").returncode, 0)
        self.assertEqual(self.pub(dev, "esp_1", "dev/esp_1/hum", "allowed-2").returncode, 0)
        wait_until(lambda: len(self.received(sub)) >= 2, what="two allowed messages")
        line = self.wait_log("DENY iot:Publish", mark)
        self.assertIn(f"principal={dev['id']} client=esp_1", line)
        self.assertIn(f"resource=arn:aws:iot:{REGION}:{account}:topic/dev/esp_2/temp: no statement allows", line)
        time.sleep(0.3)
        self.assertEqual(self.received(sub), ["dev/esp_1/temp allowed", "dev/esp_1/hum allowed-2"])

    def _revoke_case(self, new_status: str):
        dev = self.issue_certificate(self.unique("live"))
        p = self.policy(self.unique("live-all"), {"Effect": "Allow", "Action": "iot:*", "Resource": "*"})
        self.iot.attach_policy(policyName=p, target=dev["arn"])
        client_id = self.unique("live-sub")
        sub = self.subscribe(dev, client_id, "live/#", "live/_probe")
        mark = len(self.log_text())
        t0 = time.monotonic()
        self.iot.update_certificate(certificateId=dev["id"], newStatus=new_status)
        line = self.wait_log(f"KICK principal={dev['id']}", mark, timeout=3)
        elapsed = time.monotonic() - t0
        print(f"\n  {new_status}: kicked {elapsed * 1000:.0f} ms after the UpdateCertificate call began",
              file=sys.stderr)
        self.assertIn(f"client={client_id}: certificate is now {new_status}", line)
        self.assertLess(elapsed, 1.0)
        wait_until(lambda: sub.proc.poll() is not None, timeout=10, what="mosquitto_sub to be refused")
        self.assertIn(f"certificate status is {new_status}", self.wait_log(f"DENY iot:Connect principal={dev['id']}", mark))
        self.assertNotEqual(self.pub(dev, client_id, "live/x").returncode, 0)

    def test_revoked_certificate_is_kicked_and_refused(self):
        self._revoke_case("REVOKED")

    def test_inactive_certificate_is_kicked_and_refused(self):
        self._revoke_case("INACTIVE")


if __name__ == "__main__":
    unittest.main()
