"""`mos cloud up/status/down` end to end: two clouds side by side on free
ports, the HTTPS-style data-plane publish (aws iot-data publish) reaching a
mosquitto_sub through the broker, and a clean stop."""
import os
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

import cloudtest
import mostest


def mos(*args, check=True):
    p = subprocess.run([cloudtest.MOS, "cloud", *args], capture_output=True, text=True, timeout=60,
                       env=cloudtest.aws_env())
    if check and p.returncode != 0:
        raise AssertionError(f"mos cloud {' '.join(args)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return p


class CloudUpTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="mos-up-")
        self.clouds = []

    def tearDown(self):
        for d in self.clouds:
            mos("down", "--data-dir", d, check=False)
        self.tmp.cleanup()

    def up(self, name):
        d = str(Path(self.tmp.name) / name)
        http, mqtt = mostest.free_port(), mostest.free_port()
        self.https = mostest.free_port()
        self.clouds.append(d)
        out = mos("up", "--data-dir", d, "--http-port", str(http), "--https-port", str(self.https),
                  "--mqtt-port", str(mqtt)).stdout
        return d, http, mqtt, out

    def test_up_status_publish_down(self):
        d, http, mqtt, out = self.up("a")
        self.assertIn(f"http://127.0.0.1:{http}", out)
        self.assertIn(f"localhost:{mqtt}", out)
        self.assertIn("AWS_ACCESS_KEY_ID=AKIDMOSLOCAL", out)
        self.assertIn(f"web console      http://127.0.0.1:{http}/console/   (log in with access key AKIDMOSLOCAL "
                      "and secret mos-local-secret)", out)
        for f in ("ca.pem", "ca.key", "server.pem", "dataplane.pem", "registry.db", "mosquitto.conf"):
            self.assertTrue((Path(d) / f).exists(), f)
        conf = (Path(d) / "mosquitto.conf").read_text()
        self.assertIn("require_certificate true", conf)
        self.assertIn(f"listener {mqtt} 127.0.0.1", conf)
        # A second cloud coexists on other ports and another data dir.
        d2, http2, _, _ = self.up("b")
        again = mos("up", "--data-dir", d, "--http-port", str(http), "--https-port", "0", "--mqtt-port", str(mqtt),
                    check=False)
        self.assertNotEqual(again.returncode, 0)
        self.assertIn("already running", again.stderr)

        srv = cloudtest.Server.__new__(cloudtest.Server)
        srv.port = http
        ca = str(Path(d) / "ca.pem")
        # The broker works with the CA written by `up`: subscribe with the
        # dataplane certificate (admitted by the plugin when it is loaded),
        # then publish over the HTTP data plane with the AWS CLI.
        sub = mostest.Subscriber(["-h", "localhost", "-p", str(mqtt), "--cafile", ca,
                                  "--cert", str(Path(d) / "dataplane.pem"), "--key", str(Path(d) / "dataplane.key"),
                                  "-i", "test-sub", "-t", "dev/#", "-v"])
        try:
            mostest.wait_until(lambda: "test-sub" in mos("status", "--data-dir", d).stdout, timeout=15,
                               what="status to list the subscriber")
            st = mos("status", "--data-dir", d).stdout
            self.assertIn("running", st)
            self.assertIn(f"http://127.0.0.1:{http}/console/", st)
            self.assertRegex(st, r"connected\s+1 client: test-sub")
            p = subprocess.run([cloudtest.AWS, "--endpoint-url", f"http://127.0.0.1:{http}", "iot-data",
                                "publish", "--topic", "dev/hello", "--qos", "1",
                                "--cli-binary-format", "raw-in-base64-out", "--payload", '{"gpio":{"pin":2}}'],
                               capture_output=True, text=True, env=cloudtest.aws_env(), timeout=60)
            self.assertEqual(p.returncode, 0, p.stderr)
            mostest.wait_until(lambda: any("dev/hello" in m for m in sub.messages()), timeout=10,
                               what="the published message")
            self.assertIn('dev/hello {"gpio":{"pin":2}}', sub.messages())
        finally:
            sub.stop()
        # A client id that imitates Mosquitto's disconnect log line: status
        # reads the broker's own events, so it leaves when the client does.
        evil = mostest.Subscriber(["-h", "localhost", "-p", str(mqtt), "--cafile", ca,
                                   "--cert", str(Path(d) / "dataplane.pem"), "--key", str(Path(d) / "dataplane.key"),
                                   "-i", "evil disconnected", "-t", "dev/#"])
        try:
            mostest.wait_until(lambda: "evil disconnected" in mos("status", "--data-dir", d).stdout, timeout=15,
                               what="status to list the hostile client id")
        finally:
            evil.stop()
        mostest.wait_until(lambda: "evil disconnected" not in mos("status", "--data-dir", d).stdout, timeout=15,
                           what="status to drop the hostile client id after it disconnected")
        self.assertEqual(mostest.run(["curl", "-s", f"http://127.0.0.1:{http}/ca.pem"]).stdout,
                         Path(ca).read_text())

        down = mos("down", "--data-dir", d)
        self.assertIn("stopped", down.stdout)
        st = mos("status", "--data-dir", d, check=False)
        self.assertNotEqual(st.returncode, 0)
        self.assertIn("STOPPED", st.stdout)
        # The other cloud still runs; the CA survives a restart of the first.
        self.assertEqual(mos("status", "--data-dir", d2).returncode, 0)
        ca_before = Path(ca).read_text()
        self.up_again(d)
        self.assertEqual(Path(ca).read_text(), ca_before)

    def test_https_is_verified_like_aws(self):
        """The API over HTTPS with the local CA (AWS_CA_BUNDLE, as for AWS's
        own endpoints), and the MQTT endpoint's certificate carries the name
        DescribeEndpoint answers: a client checking another name fails."""
        import ssl
        import socket
        d, _, mqtt, out = self.up("tls")
        https, ca = self.https, str(Path(d) / "ca.pem")
        self.assertIn(f"https://localhost:{https}", out)
        self.assertIn(f"https://localhost:{https}", mos("status", "--data-dir", d).stdout)

        def aws(*args, bundle=True, url=f"https://localhost:{https}"):
            env = cloudtest.aws_env()
            if bundle:
                env["AWS_CA_BUNDLE"] = ca
            return subprocess.run([cloudtest.AWS, "--endpoint-url", url, *args], capture_output=True, text=True,
                                  env=env, timeout=60)
        p = aws("iot", "describe-endpoint", "--endpoint-type", "iot:Data-ATS")
        self.assertEqual(p.returncode, 0, p.stderr)
        host = __import__("json").loads(p.stdout)["endpointAddress"].split(":")[0]
        self.assertEqual(host, "localhost")
        p = aws("iot", "create-thing", "--thing-name", "over-tls")
        self.assertEqual(p.returncode, 0, p.stderr)
        p = aws("iot-data", "publish", "--topic", "t/1", "--cli-binary-format", "raw-in-base64-out",
                "--payload", "{gpio: {pin: 2, state: 0}}")
        self.assertEqual(p.returncode, 0, p.stderr)
        # Without the CA bundle the CLI refuses the local CA, as it should.
        p = aws("iot", "list-things", bundle=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("SSL validation failed", p.stderr)
        # boto3 with verify=<ca.pem>.
        import boto3
        iot = boto3.client("iot", endpoint_url=f"https://localhost:{https}", verify=ca, region_name="us-east-1",
                           aws_access_key_id=cloudtest.ACCESS_KEY, aws_secret_access_key=cloudtest.SECRET)
        self.assertIn("over-tls", [t["thingName"] for t in iot.list_things()["things"]])

        # The MQTT server certificate: "localhost" verifies, another name does not.
        ctx = ssl.create_default_context(cafile=ca)
        with socket.create_connection(("127.0.0.1", mqtt), timeout=10) as raw:
            with ctx.wrap_socket(raw, server_hostname=host) as tls:
                self.assertTrue(tls.getpeercert())
        with socket.create_connection(("127.0.0.1", mqtt), timeout=10) as raw:
            with self.assertRaises(ssl.SSLCertVerificationError) as e:
                ctx.wrap_socket(raw, server_hostname="a1b2c3-ats.iot.us-east-1.amazonaws.com")
            self.assertIn("Hostname mismatch", str(e.exception))

    def up_again(self, d):
        http, mqtt = mostest.free_port(), mostest.free_port()
        mos("up", "--data-dir", d, "--http-port", str(http), "--https-port", "0", "--mqtt-port", str(mqtt))
        self.assertEqual(mos("status", "--data-dir", d).returncode, 0)


if __name__ == "__main__":
    unittest.main()
