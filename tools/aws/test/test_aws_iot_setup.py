"""`mos aws-iot-setup` end to end: a mos-cloud started here (plain HTTP on a
free port), a virtual board (`mos sim start`), the command run twice, then
the AWS CLI v2 checks what the cloud holds and `mos` what the board holds;
then the board's c_mqtt connects to the cloud's Mosquitto with the uploaded
certificate. Bad input gets one clear line and a non-zero exit."""
from __future__ import annotations

import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(REPO / "testing"))
sys.path.insert(0, str(REPO / "cloud" / "tests"))
sys.path.insert(0, str(REPO / "tests" / "e2e"))
import board as b  # noqa: E402
import cloudtest  # noqa: E402
import mostest  # noqa: E402

AP = ("mos-test-ap", "correct horse")
PLUGIN = Path(os.environ.get("MOS_BUILD_DIR", REPO / "build/default")) / "cloud/plugin/mos_policy_plugin.so"


def setup_env(home: Path, **kw) -> dict:
    env = cloudtest.aws_env(**kw)
    env.update({"HOME": str(home), "MOS_SIM_DIR": str(home / "sim")})
    for k in ("AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_IOT",
              "AWS_REGION", "AWS_PROFILE"):
        env.pop(k, None)
    return env


class CloudWithBoard(unittest.TestCase):
    """One mos-cloud and one virtual board for the whole class; a subclass
    names its board and may add set-up to run once both are up (prepare)."""
    board_name = "aws"

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix=f"mos-aws-{cls.board_name}-")
        cls.home = Path(cls.tmp.name)
        cls.cloud = cloudtest.Server().start()
        cls.board = b.Board(cls.home, cls.board_name, aps=[AP])
        try:
            cls.board.start()
            cls.prepare()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def prepare(cls):
        pass

    @classmethod
    def tearDownClass(cls):
        cls.board.stop()
        cls.cloud.stop()
        cls.tmp.cleanup()


class AwsIotSetupOnLocalCloud(CloudWithBoard):
    @classmethod
    def prepare(cls):
        cls.env = setup_env(cls.home)
        cls.runs = [cls.setup_run() for _ in range(2)]

    @classmethod
    def setup_run(cls, *extra):
        t0 = time.monotonic()
        p = b.mos("--port", cls.board.port, "aws-iot-setup", "--endpoint-url", cls.cloud.url, *extra,
                  env=cls.env, check=False)
        took = time.monotonic() - t0
        if p.returncode != 0:
            raise AssertionError(f"aws-iot-setup failed ({p.returncode}):\n{p.stdout}{p.stderr}")
        time.sleep(0.5)  # Config.Save reboots the board
        mostest.wait_until(cls.board.ping, timeout=15, what="the board back after aws-iot-setup")
        return p, took

    def device_id(self) -> str:
        m = re.search(r"^  Device ID: (\S+)$", self.runs[0][0].stdout, re.M)
        self.assertIsNotNone(m, self.runs[0][0].stdout)
        return m.group(1)

    def arns(self) -> list[str]:
        return [re.search(r"^ARN : (\S+)$", p.stdout, re.M).group(1) for p, _ in self.runs]

    def test_output_is_mos_like(self):
        out = self.runs[0][0].stdout
        dev = self.device_id()
        expected = ["AWS region: us-east-1", "Connecting to the device...", f"  Device ID: {dev}",
                    "Current MQTT config: {", "Generating ECDSA private key",
                    f"Generating certificate request, CN: {dev}", "Asking AWS for a certificate...",
                    f"  Subject : CN={dev}", 'Creating policy "mos-default" (allow iot:* on *)...',
                    'Attaching policy "mos-default" to the certificate...',
                    f'Attaching the certificate to "{dev}"...', f"Uploading aws-{dev}.crt.pem (",
                    f"Uploading aws-{dev}.key.pem (", "Uploading ca.pem (", "Updating config:",
                    "  mqtt.enable = true", f"  mqtt.server = localhost:{self.cloud.mqtt_port}",
                    "  mqtt.ssl_ca_cert = ca.pem", f"  mqtt.ssl_cert = aws-{dev}.crt.pem",
                    f"  mqtt.ssl_key = aws-{dev}.key.pem", "Setting new configuration...", "Saving and rebooting..."]
        pos = 0
        for line in expected:
            i = out.find(line, pos)
            self.assertGreaterEqual(i, 0, f"missing (in order) {line!r} in:\n{out}")
            pos = i + len(line)
        self.assertNotIn("16 KB", out)  # the local broker keeps the small TLS buffer
        second = self.runs[1][0].stdout
        self.assertNotIn("Creating policy", second)  # reused
        self.assertIn('Attaching policy "mos-default"', second)

    def test_cloud_holds_two_active_certificates_attached(self):
        arns = self.arns()
        self.assertNotEqual(arns[0], arns[1], "each run makes a new certificate")
        for arn in arns:
            cid = arn.split("/")[-1]
            d = self.cloud.aws("describe-certificate", "--certificate-id", cid)["certificateDescription"]
            self.assertEqual(d["status"], "ACTIVE")
            pol = self.cloud.aws("list-attached-policies", "--target", arn)["policies"]
            self.assertEqual([p["policyName"] for p in pol], ["mos-default"])
        principals = self.cloud.aws("list-thing-principals", "--thing-name", self.device_id())["principals"]
        self.assertEqual(sorted(principals), sorted(arns))
        doc = json.loads(self.cloud.aws("get-policy", "--policy-name", "mos-default")["policyDocument"])
        self.assertEqual(doc["Statement"][0]["Action"], "iot:*")

    def test_board_has_files_and_config(self):
        dev = self.device_id()
        mqtt = json.loads(self.board.mos("config-get", "mqtt").stdout)
        self.assertTrue(mqtt["enable"])
        self.assertEqual(mqtt["server"], f"localhost:{self.cloud.mqtt_port}")
        self.assertEqual(mqtt["ssl_cert"], f"aws-{dev}.crt.pem")
        self.assertEqual(mqtt["ssl_key"], f"aws-{dev}.key.pem")
        self.assertEqual(mqtt["ssl_ca_cert"], "ca.pem")
        files = self.board.mos("ls").stdout.split()
        for f in (f"aws-{dev}.crt.pem", f"aws-{dev}.key.pem", "ca.pem"):
            self.assertIn(f, files)
        ca = self.board.mos("get", "ca.pem").stdout
        self.assertEqual(ca, (self.cloud.dir / "ca.pem").read_text())
        crt = self.board.mos("get", f"aws-{dev}.crt.pem").stdout
        cid = self.arns()[1].split("/")[-1]
        self.assertEqual(crt.strip(), self.cloud.aws("describe-certificate", "--certificate-id", cid)
                         ["certificateDescription"]["certificatePem"].strip())
        key = self.board.mos("get", f"aws-{dev}.key.pem").stdout
        self.assertIn("PRIVATE KEY", key)

    def test_timing(self):
        for _, took in self.runs:
            print(f"aws-iot-setup took {took:.2f} s", file=sys.stderr)


@contextlib.contextmanager
def cloud_with_broker_and_board(name: str):
    """mos-cloud (serve) + its Mosquitto with the policy plugin + a blank
    board on the cloud's Wi-Fi: (cloud, board, home)."""
    with tempfile.TemporaryDirectory(prefix=f"mos-aws-{name}-") as tmp:
        home = Path(tmp)
        cloud = cloudtest.Server()
        mostest.run([cloudtest.MOS_CLOUD, "init", "--data-dir", str(cloud.dir), "--mqtt-port",
                     str(cloud.mqtt_port), "--plugin", str(PLUGIN)])
        broker = subprocess.Popen(["mosquitto", "-c", str(cloud.dir / "mosquitto.conf")],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        board = b.Board(home, name, aps=[AP])
        try:
            mostest.wait_for_port(cloud.mqtt_port)
            cloud.log = open(cloud.dir / "mos-cloud.log", "ab")
            cloud.proc = subprocess.Popen([cloudtest.MOS_CLOUD, "serve", "--data-dir", str(cloud.dir),
                                           "--http-port", str(cloud.port), "--mqtt-port", str(cloud.mqtt_port)],
                                          stdout=cloud.log, stderr=subprocess.STDOUT)
            mostest.wait_for_port(cloud.port)
            board.start()
            board.mos("config-set", "--no-reboot", f"wifi.sta.ssid={AP[0]}", f"wifi.sta.pass={AP[1]}",
                      "wifi.sta.enable=true")
            yield cloud, board, home
        finally:
            board.stop()
            broker.terminate()
            broker.wait(timeout=5)
            cloud.stop()


@unittest.skipUnless(PLUGIN.exists(), "mos_policy_plugin.so not built")
class BoardConnectsToCloudBroker(unittest.TestCase):
    """After aws-iot-setup, c_mqtt connects to the cloud's Mosquitto (policy
    plugin: only registered ACTIVE certificates) and answers the seed message."""

    def test_connects_and_answers(self):
        with cloud_with_broker_and_board("awsmqtt") as (cloud, board, home):
            p = b.mos("--port", board.port, "aws-iot-setup", "--endpoint-url", cloud.url, env=setup_env(home),
                      check=False)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            board.log.wait_for(r"c_mqtt: subscribed to /request", timeout=30)

    def test_no_policy_refusal_names_the_command_that_says_why(self):
        """--aws-iot-policy - attaches none: the broker refuses the board, its
        console names `mos cloud denials --client-id ID`, and that command,
        pasted as printed, shows the cloud's reason."""
        with cloud_with_broker_and_board("nopolicy") as (cloud, board, home):
            p = b.mos("--port", board.port, "aws-iot-setup", "--endpoint-url", cloud.url, "--aws-iot-policy", "-",
                      env=setup_env(home), check=False)
            self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
            dev = re.search(r"^  Device ID: (\S+)$", p.stdout, re.M).group(1)
            line = board.log.wait_for(r"MQTT connection refused: not authorized \(CONNACK 5\)[^\n]*", timeout=30)
            self.assertIn(f"; see why: mos cloud denials --client-id {dev}", line)
            command = line[line.index("mos cloud denials"):].split()
            env = dict(setup_env(home), TZ="UTC")
            shown = subprocess.run([cloudtest.MOS, *command[1:], "--data-dir", str(cloud.dir)], capture_output=True,
                                   text=True, env=env, timeout=30)
            self.assertEqual(shown.returncode, 0, shown.stderr)
            cert_id = re.search(r"^ID  : (\S+)$", p.stdout, re.M).group(1)
            self.assertIn(f"DENY iot:Connect    client={dev}", shown.stdout)
            self.assertIn(f"cert={cert_id[:12]}", shown.stdout)
            self.assertIn("reason: no statement allows: no policy is attached to this certificate (attach one: "
                          "aws iot attach-policy --policy-name POLICY --target arn:aws:iot:", shown.stdout)


def start_proxy(cloud_port: int, rewrite_endpoint: str | None = None):
    """A pass-through HTTP proxy in front of mos-cloud on 127.0.0.1; with
    rewrite_endpoint, DescribeEndpoint answers that host. Returns (server, url)."""
    import http.client
    import http.server
    import threading

    class Proxy(http.server.BaseHTTPRequestHandler):
        def relay(self):
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            c = http.client.HTTPConnection("127.0.0.1", cloud_port, timeout=10)
            c.putrequest(self.command, self.path, skip_host=True, skip_accept_encoding=True)
            for k, v in self.headers.items():
                c.putheader(k, v)
            c.endheaders(body)
            r = c.getresponse()
            data = r.read()
            c.close()
            if rewrite_endpoint and self.path.startswith("/endpoint") and r.status == 200:
                data = json.dumps({"endpointAddress": rewrite_endpoint}).encode()
            self.send_response(r.status)
            for k, v in r.getheaders():
                if k.lower() not in ("content-length", "connection", "transfer-encoding"):
                    self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        do_GET = do_POST = do_PUT = relay

        def log_message(self, *a):
            pass

    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Proxy)
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv, f"http://127.0.0.1:{srv.server_address[1]}"


class AwsShapedEndpoint(unittest.TestCase):
    """When DescribeEndpoint names an AWS IoT Core host, the board gets the
    Amazon root CAs and a full 16 KB TLS input buffer. A proxy in front of
    mos-cloud rewrites only that answer (the SigV4 signature covers the Host
    header as sent, which the proxy forwards unchanged)."""

    AWS_HOST = "a1b2c3d4e5f6g7-ats.iot.us-east-1.amazonaws.com"

    def test_amazon_cas_and_full_tls_records(self):
        with tempfile.TemporaryDirectory(prefix="mos-aws-shaped-") as tmp:
            home = Path(tmp)
            cloud = cloudtest.Server().start()
            srv, _ = start_proxy(cloud.port, rewrite_endpoint=self.AWS_HOST)
            host = self.AWS_HOST
            board = b.Board(home, "shaped", aps=[AP])
            try:
                board.start()
                p = b.mos("--port", board.port, "aws-iot-setup", "--endpoint-url",
                          f"http://127.0.0.1:{srv.server_address[1]}", env=setup_env(home), check=False)
                self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
                self.assertIn("AWS IoT Core ignores TLS max_fragment_length", p.stdout)
                self.assertIn("  mqtt.ssl_rx_buf_size = 16384", p.stdout)
                time.sleep(0.5)
                mostest.wait_until(board.ping, timeout=15, what="the board back")
                mqtt = json.loads(board.mos("config-get", "mqtt").stdout)
                self.assertEqual(mqtt["server"], f"{host}:8883")
                self.assertEqual(mqtt["ssl_rx_buf_size"], 16384)
                ca = board.mos("get", "ca.pem").stdout
                want = "".join((REPO / "data/ca" / f).read_text() for f in ("AmazonRootCA1.pem", "AmazonRootCA3.pem"))
                self.assertEqual(ca, want)
            finally:
                board.stop()
                srv.shutdown()
                srv.server_close()
                cloud.stop()


class Https(unittest.TestCase):
    """The IoT API over mos-cloud's own HTTPS listener: the server certificate
    (local CA, name localhost) is verified, against AWS_CA_BUNDLE when set (as
    the AWS CLI does)."""

    def test_ca_bundle(self):
        with tempfile.TemporaryDirectory(prefix="mos-aws-https-") as tmp:
            home = Path(tmp)
            cloud = cloudtest.Server().start()
            board = b.Board(home, "https", aps=[AP])
            try:
                board.start()
                env = setup_env(home)
                p = b.mos("--port", board.port, "aws-iot-setup", "--endpoint-url", cloud.https_url, env=env,
                          check=False)
                self.assertNotEqual(p.returncode, 0)
                self.assertIn("TLS to", p.stderr)
                self.assertIn("AWS_CA_BUNDLE", p.stderr)
                self.assertNotIn("Uploading", p.stdout)
                env["AWS_CA_BUNDLE"] = cloud.ca_file
                p = b.mos("--port", board.port, "aws-iot-setup", "--endpoint-url", cloud.https_url, env=env,
                          check=False)
                self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
                self.assertIn("Saving and rebooting...", p.stdout)
            finally:
                board.stop()
                cloud.stop()


class Variants(CloudWithBoard):
    """RSA keys, a custom policy, no thing; an existing certificate + key."""

    board_name = "var"

    def run_setup(self, *args):
        p = b.mos("--port", self.board.port, "aws-iot-setup", "--endpoint-url", self.cloud.url, *args,
                  env=setup_env(self.home), check=False)
        self.assertEqual(p.returncode, 0, p.stdout + p.stderr)
        time.sleep(0.5)
        mostest.wait_until(self.board.ping, timeout=15, what="the board back")
        return p

    def test_rsa_custom_policy_no_thing(self):
        p = self.run_setup("--cert-type", "RSA", "--aws-iot-policy", "my-devices", "--aws-iot-thing", "-")
        self.assertIn("Generating RSA private key", p.stdout)
        self.assertIn("Key algo: RSA", p.stdout)
        self.assertIn('Creating policy "my-devices" (allow iot:* on *)...', p.stdout)
        self.assertNotIn("Attaching the certificate to", p.stdout)
        arn = re.search(r"^ARN : (\S+)$", p.stdout, re.M).group(1)
        pol = self.cloud.aws("list-attached-policies", "--target", arn)["policies"]
        self.assertEqual([x["policyName"] for x in pol], ["my-devices"])
        self.assertEqual(self.cloud.aws("list-principal-things", "--principal", arn)["things"], [])
        dev = re.search(r"^  Device ID: (\S+)$", p.stdout, re.M).group(1)
        self.assertIn("BEGIN PRIVATE KEY", self.board.mos("get", f"aws-{dev}.key.pem").stdout)

    def test_existing_certificate_and_key(self):
        csr = cloudtest.make_csr(self.home, "mine")
        out = self.cloud.aws("create-certificate-from-csr", "--certificate-signing-request", f"file://{csr}",
                             "--set-as-active")
        cert = self.home / "mine.crt"
        cert.write_text(out["certificatePem"])
        p = self.run_setup("--aws-cert-file", str(cert), "--aws-key-file", str(self.home / "mine.key"),
                           "--aws-iot-policy", "-")
        self.assertNotIn("Generating", p.stdout)
        self.assertNotIn("Asking AWS", p.stdout)
        self.assertNotIn("Attaching policy", p.stdout)
        self.assertIn(f"ARN : {out['certificateArn']}", p.stdout)
        dev = re.search(r"^  Device ID: (\S+)$", p.stdout, re.M).group(1)
        self.assertEqual(self.board.mos("get", f"aws-{dev}.key.pem").stdout, (self.home / "mine.key").read_text())
        self.assertIn(out["certificateArn"],
                      self.cloud.aws("list-thing-principals", "--thing-name", dev)["principals"])
        # A key that is not the certificate's, and a certificate the cloud never issued.
        cloudtest.make_csr(self.home, "other")
        q = b.mos("--port", self.board.port, "aws-iot-setup", "--endpoint-url", self.cloud.url,
                  "--aws-cert-file", str(cert), "--aws-key-file", str(self.home / "other.key"),
                  env=setup_env(self.home), check=False)
        self.assertNotEqual(q.returncode, 0)
        self.assertIn("is not the private key of", q.stderr)
        unknown = self.home / "other.crt"
        mostest.run(["openssl", "req", "-x509", "-key", str(self.home / "other.key"), "-subj", "/CN=other",
                     "-days", "1", "-out", str(unknown)])
        q = b.mos("--port", self.board.port, "aws-iot-setup", "--endpoint-url", self.cloud.url,
                  "--aws-cert-file", str(unknown), "--aws-key-file", str(self.home / "other.key"),
                  env=setup_env(self.home), check=False)
        self.assertNotEqual(q.returncode, 0)
        self.assertIn("is not registered in AWS IoT", q.stderr)
        self.assertIn("register-certificate-without-ca", q.stderr)


class BadInput(CloudWithBoard):
    """Each failure: non-zero exit, `Error: what failed`, `  -> what next`."""

    board_name = "bad"

    def fails(self, env, *args, port=None, want=(), hint="", may_upload=False):
        p = b.mos("--port", port or self.board.port, "--timeout", "2", "aws-iot-setup", *args, env=env,
                  check=False, timeout=60)
        self.assertNotEqual(p.returncode, 0, p.stdout)
        for w in want:
            self.assertIn(w, p.stderr)
        self.assertRegex(p.stderr, r"Error: .*\n  -> .*" + re.escape(hint))
        self.assertNotIn("Traceback", p.stderr)
        if not may_upload:
            self.assertNotIn("Uploading", p.stdout)
        self.assertNotIn("Setting new configuration", p.stdout)
        return p

    def env(self, **kw):
        return setup_env(self.home, **kw)

    def test_no_credentials(self):
        env = self.env()
        env.pop("AWS_ACCESS_KEY_ID")
        env.pop("AWS_SECRET_ACCESS_KEY")
        self.fails(env, "--endpoint-url", self.cloud.url,
                   want=["no AWS credentials found", str(self.home / ".aws/credentials")],
                   hint="aws configure")

    def test_profile_from_files(self):
        # Credentials and region only in ~/.aws (a named profile): gets past them to the device.
        (self.home / ".aws").mkdir(exist_ok=True)
        (self.home / ".aws/credentials").write_text(
            f"[dev]\naws_access_key_id = {cloudtest.ACCESS_KEY}\naws_secret_access_key = wrong\n")
        (self.home / ".aws/config").write_text("[profile dev]\nregion = us-east-1\n")
        env = self.env()
        for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION"):
            env.pop(k)
        p = self.fails(env, "--endpoint-url", self.cloud.url, "--aws-profile", "dev",
                       want=["secret access key is wrong", "profile dev"])
        self.assertIn("AWS region: us-east-1", p.stdout)

    def test_wrong_secret(self):
        self.fails(self.env(secret="not-the-secret"), "--endpoint-url", self.cloud.url,
                   want=["the secret access key is wrong"], hint="AWS_SECRET_ACCESS_KEY")

    def test_unknown_access_key(self):
        self.fails(self.env(key="AKIDNOBODY"), "--endpoint-url", self.cloud.url,
                   want=["does not know the access key id"], hint="AWS_ACCESS_KEY_ID")

    def test_no_region(self):
        env = self.env()
        env.pop("AWS_DEFAULT_REGION")
        self.fails(env, "--endpoint-url", self.cloud.url, want=["no AWS region set"], hint="--aws-region")

    def test_unknown_region(self):
        self.fails(self.env(), "--aws-region", "moon", want=['"moon"', "not an AWS region name"])
        # A well-formed region the local cloud does not serve.
        self.fails(self.env(), "--aws-region", "eu-west-9", "--endpoint-url", self.cloud.url,
                   want=["region", "eu-west-9"], hint="--aws-region")

    def test_cloud_not_running(self):
        url = f"http://127.0.0.1:{mostest.free_port()}"
        self.fails(self.env(), "--endpoint-url", url, want=["connection refused"], hint="mos cloud up")

    def test_device_does_not_answer(self):
        master, slave = os.openpty()
        try:
            self.fails(self.env(), "--endpoint-url", self.cloud.url, port=os.ttyname(slave),
                       want=["does not answer"], hint="RPC.Ping")
        finally:
            os.close(master)
            os.close(slave)

    def test_full_filesystem_saves_nothing(self):
        before = json.loads(self.board.mos("config-get", "mqtt").stdout)
        n = 0
        for size in (30000, 4000, 600):  # fill the store (FS.Put refuses when it is full)
            junk = self.home / "junk.bin"
            junk.write_bytes(os.urandom(size))
            while True:
                p = self.board.mos("put", str(junk), f"junk{n}", check=False)
                if p.returncode != 0:
                    break
                n += 1
                self.assertLess(n, 400, "the file store never filled up")
        try:
            p = self.fails(self.env(), "--endpoint-url", self.cloud.url, hint="mos rm", may_upload=True)
            self.assertRegex(p.stderr, r"full|not enough room")
            self.assertRegex(p.stderr, r"config (is unchanged|was not changed)")
            after = json.loads(self.board.mos("config-get", "mqtt").stdout)
            self.assertEqual(before, after)
        finally:
            for i in range(n + 1):
                self.board.mos("rm", f"junk{i}", check=False)


if __name__ == "__main__":
    unittest.main()
