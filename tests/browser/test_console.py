"""The web console in a real browser against the real stack: `mos cloud up`
(mos-cloud + Mosquitto with the policy plugin) on free ports, a virtual
NodeMCU running the seed's c_mqtt firmware, `mos aws-iot-setup` against the
local cloud (certificate, mos-default policy, thing), the board connected
to the broker; then console_scenario.mjs drives headless Chromium through
the issue's scenario (log in, subscribe, publish the seed's message from
the page, LED on, HTML shown as text, invalid filter, 1 MB refused, revoke
-> the device drops off the connected list). Afterwards the cloud is asked
through the AWS CLI whether the page really did what it showed."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO / "testing"))
sys.path.insert(0, str(REPO / "cloud" / "tests"))
sys.path.insert(0, str(REPO / "tests" / "e2e"))
import board as b  # noqa: E402
import cloudtest  # noqa: E402
import mostest  # noqa: E402

AP = ("mos-console-ap", "console-pass-123")
BUILD = Path(os.environ.get("MOS_BUILD_DIR", REPO / "build" / "default"))
ARTIFACTS = Path(os.environ.get("MOS_ARTIFACTS_DIR", BUILD / "artifacts" / "console"))
NODE = os.environ.get("MOS_NODE", "node")


def cloud(*args, env, check=True):
    p = subprocess.run([b.MOS, "cloud", *map(str, args)], capture_output=True, text=True, timeout=90, env=env)
    if check and p.returncode != 0:
        raise AssertionError(f"mos cloud {' '.join(map(str, args))} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return p


class ConsoleInChromium(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        if not (HERE / "node_modules" / "playwright-core").is_dir():
            raise AssertionError("playwright-core is not installed in tests/browser: run scripts/setup.sh "
                                 "(it runs npm ci there)")
        cls.tmp = tempfile.TemporaryDirectory(prefix="mos-console-")
        home = Path(cls.tmp.name)
        cls.env = cloudtest.aws_env()
        cls.env.update({"HOME": str(home), "XDG_STATE_HOME": str(home / "state"), "MOS_SIM_DIR": str(home / "sim")})
        for k in ("AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_IOT", "AWS_REGION", "AWS_PROFILE"):
            cls.env.pop(k, None)
        cls.data = home / "cloud"
        cls.http, cls.https, cls.mqtt = mostest.free_port(), mostest.free_port(), mostest.free_port()
        cls.url = f"http://127.0.0.1:{cls.http}"
        cls.board = b.Board(home, "console", aps=[AP])
        cls.board.env = cls.env
        try:
            cloud("up", "--data-dir", cls.data, "--http-port", cls.http, "--https-port", cls.https,
                  "--mqtt-port", cls.mqtt, env=cls.env)
            cls.board.start()
            cls.board.mos("config-set", "--no-reboot", f"wifi.sta.ssid={AP[0]}", f"wifi.sta.pass={AP[1]}",
                          "wifi.sta.enable=true")
            p = cls.board.mos("aws-iot-setup", "--endpoint-url", cls.url, "--aws-region", "us-east-1",
                              "--aws-iot-policy", "mos-default", timeout=120)
            cls.device = re.search(r"^  Device ID: (\S+)$", p.stdout, re.M).group(1)
            cls.cert = re.search(r"^ARN : \S+/(\S+)$", p.stdout, re.M).group(1)
            cls.board.log.wait_for(r"c_mqtt: subscribed to /request", timeout=40)
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.board.stop()
        cloud("down", "--data-dir", cls.data, env=cls.env, check=False)
        cls.tmp.cleanup()

    def aws_iot(self, *args) -> dict:
        p = subprocess.run([cloudtest.AWS, "--endpoint-url", self.url, "--output", "json", "iot", *args],
                           capture_output=True, text=True, env=self.env, timeout=60)
        self.assertEqual(p.returncode, 0, p.stderr)
        return json.loads(p.stdout)

    def test_console_scenario(self):
        env = dict(self.env, CONSOLE_URL=self.url, CONSOLE_HTTPS_URL=f"https://localhost:{self.https}", MOS_BIN=b.MOS, BOARD=self.board.name, DEVICE_ID=self.device,
                   CERT_ID=self.cert, ARTIFACTS_DIR=str(ARTIFACTS), ACCESS_KEY=cloudtest.ACCESS_KEY,
                   SECRET=cloudtest.SECRET)
        p = subprocess.run([NODE, str(HERE / "console_scenario.mjs")], env=env, cwd=HERE, timeout=400,
                           stdin=subprocess.DEVNULL, capture_output=True, text=True)
        print(p.stdout, p.stderr, sep="\n", file=sys.stderr)
        self.assertEqual(p.returncode, 0, f"the browser scenario failed; screenshots in {ARTIFACTS}")
        # What the page showed is what the cloud holds: the certificate is
        # revoked, and the board, refused, logs why it cannot connect.
        desc = self.aws_iot("describe-certificate", "--certificate-id", self.cert)["certificateDescription"]
        self.assertEqual(desc["status"], "REVOKED")
        self.assertEqual(self.board.gpio(2), 0, "the LED the page turned on is still on")


if __name__ == "__main__":
    unittest.main()
