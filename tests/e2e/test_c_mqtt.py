"""End to end: the c_mqtt firmware on a virtual board, real Mosquitto with
mutual TLS, provisioning over the board's pseudo-terminal with `mos put` and
`mos config-set` (issue #3, "Tests").

Each test starts what it needs (broker, boards, mosquitto_sub) on 127.0.0.1
at free ports and stops it at the end.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

import board as b
import mostest

AP = ("mos-test-ap", "correct horse")
MIN_BACKOFF, MAX_BACKOFF = 1, 4  # mqtt.reconnect_timeout_min/max for the tests, seconds


class Tls:
    """A PKI and a TLS-only Mosquitto: require_certificate, use_identity_as_username."""

    def __init__(self, d: Path):
        self.dir = d
        pki = mostest.Pki(d / "pki")
        self.ca = pki.ca("mos-test-ca")
        self.server = pki.cert("broker", self.ca, san="DNS:localhost")
        self.device = pki.cert("device", self.ca, cn="esp8266_test")
        self.tester = pki.cert("tester", self.ca)
        self.other_ca = pki.ca("other-ca")
        self.stranger = pki.cert("stranger", self.other_ca, cn="esp8266_stranger")
        self.broker = mostest.Mosquitto(str(d), plain=False, tls=mostest.TlsListener(self.ca, self.server))

    def client_args(self) -> list[str]:
        return ["-h", "localhost", "-p", str(self.broker.tls_port), "--cafile", str(self.ca.cert),
                "--cert", str(self.tester.cert), "--key", str(self.tester.key)]

    def publish(self, topic: str, message: str) -> None:
        mostest.run(["mosquitto_pub", *self.client_args(), "-i", "tester-pub", "-t", topic, "-m", message])

    def subscriber(self, topic: str, client_id: str = "tester-sub") -> mostest.Subscriber:
        mark = len(self.broker.log_text())
        s = mostest.Subscriber([*self.client_args(), "-i", client_id, "-t", topic])
        try:
            mostest.wait_until(lambda: f"Received SUBSCRIBE from {client_id}" in self.broker.log_text()[mark:],
                               timeout=10, what=f"{client_id} subscribed")
        except BaseException:
            s.stop()
            raise
        return s


def device_config(tls: Tls, server: str | None = None, ap=AP) -> dict:
    return {
        "wifi.sta.enable": "true", "wifi.sta.ssid": ap[0], "wifi.sta.pass": ap[1],
        "mqtt.enable": "true",
        "mqtt.server": server or f"localhost:{tls.broker.tls_port}",
        "mqtt.ssl_ca_cert": "ca.pem", "mqtt.ssl_cert": "device.crt", "mqtt.ssl_key": "device.key",
        "mqtt.reconnect_timeout_min": MIN_BACKOFF, "mqtt.reconnect_timeout_max": MAX_BACKOFF,
    }


def device_files(ca, cert) -> dict:
    return {"ca.pem": ca.cert, "device.crt": cert.cert, "device.key": cert.key}


def wait_message(sub: mostest.Subscriber, want: dict, after: int = 0, timeout: float = 15) -> None:
    def seen():
        for line in sub.messages()[after:]:
            try:
                if json.loads(line) == want:
                    return True
            except ValueError:
                pass
        return False
    try:
        mostest.wait_until(seen, timeout=timeout, what=f"{want} on the reply topic")
    except TimeoutError:
        raise AssertionError(f"{want} did not arrive; got {sub.messages()}")


class CMqttOverMutualTls(unittest.TestCase):
    """One provisioned board against one broker, driven like the seed post."""

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="mos-e2e-")
        d = Path(cls.tmp.name)
        cls.tls = Tls(d)
        cls.tls.broker.start()
        cls.board = b.Board(d, "c-mqtt", aps=[AP])
        try:
            cls.board.start()
            cls.board.provision(device_files(cls.tls.ca, cls.tls.device), device_config(cls.tls))
            cls.console = cls.board.start_console()
            mostest.wait_until(lambda: "esp8266_test" in cls.tls.broker.log_text()
                               and "Received SUBSCRIBE from" in cls.tls.broker.log_text(),
                               timeout=30, what="the board connected over mutual TLS and subscribed")
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.board.stop()
        cls.tls.broker.stop()
        cls.tmp.cleanup()

    def test_1_seed_message_exactly_as_typed_turns_led_on_then_off(self):
        with self.tls.subscriber("/response") as sub:
            self.tls.publish("/request", b.SEED_ON)
            wait_message(sub, {"type": "gpio", "pin": 2, "state": 0})
            self.assertEqual(self.board.gpio(2), 0, "GPIO2 low = the blue LED on (active low)")
            n = len(sub.messages())
            self.tls.publish("/request", b.SEED_OFF)
            wait_message(sub, {"type": "gpio", "pin": 2, "state": 1}, after=n)
            self.assertEqual(self.board.gpio(2), 1)

    def test_2_button_armed_and_pressed_publishes_a_click(self):
        with self.tls.subscriber("/response") as sub:
            self.tls.publish("/request", "{button: {pin: 0}}")
            wait_message(sub, {"type": "button", "pin": 0})
            self.board.press(0)
            wait_message(sub, {"type": "click", "pin": 0})

    def test_3_invalid_huge_and_deeply_nested_requests_get_an_error(self):
        cases = ["{gpio: {pin: 2, state: ", "not json at all", "[" * 100 + "]" * 100,
                 "{pad: \"" + "x" * 700 + "\"}", "{blink: {pin: 2}}"]
        with self.tls.subscriber("/response") as sub:
            for i, payload in enumerate(cases):
                n = len(sub.messages())
                self.tls.publish("/request", payload)

                def got_error():
                    for line in sub.messages()[n:]:
                        try:
                            e = json.loads(line).get("error")
                        except (ValueError, AttributeError):
                            continue
                        if e and e.get("code") == -1 and e.get("message"):
                            return True
                    return False
                mostest.wait_until(got_error, timeout=10, what=f"an error reply to request {i}")
            # The board still obeys afterwards.
            n = len(sub.messages())
            self.tls.publish("/request", b.SEED_ON)
            wait_message(sub, {"type": "gpio", "pin": 2, "state": 0}, after=n)

    def test_4_broker_restart_board_reconnects_within_backoff_and_answers(self):
        self.console.mark()
        self.tls.broker.stop()
        self.console.wait_for(r"(?i)mqtt.*(disconnect|closed|lost|refused)", timeout=30)
        time.sleep(MAX_BACKOFF)  # let the back-off grow to its maximum
        log_mark = len(self.tls.broker.log_text())  # Mosquitto appends to its log file
        self.tls.broker.start()  # same port
        restarted = time.monotonic()
        mostest.wait_until(lambda: "Received SUBSCRIBE from esp8266" in self.tls.broker.log_text()[log_mark:],
                           timeout=MAX_BACKOFF * 1.1 + 10, what="the board reconnecting after the restart")
        took = time.monotonic() - restarted
        print(f"\n  reconnected {took:.2f} s after the broker came back "
              f"(back-off {MIN_BACKOFF}..{MAX_BACKOFF} s)", file=sys.stderr)
        # Next attempt comes at most reconnect_timeout_max (+10 % jitter) after
        # the broker is back, plus the TLS handshake.
        self.assertLess(took, MAX_BACKOFF * 1.1 + 3, f"reconnected only after {took:.1f}s")
        with self.tls.subscriber("/response") as sub:
            self.tls.publish("/request", b.SEED_OFF)
            wait_message(sub, {"type": "gpio", "pin": 2, "state": 1})


class NegativePaths(unittest.TestCase):
    """Each mistake a person can make, and the console line that says so."""

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="mos-e2e-neg-")
        self.addCleanup(self.tmp.cleanup)
        self.tls = Tls(Path(self.tmp.name))
        self.tls.broker.start()
        self.addCleanup(self.tls.broker.stop)

    def run_board(self, files: dict, config: dict, pattern: str, name: str) -> None:
        board = b.Board(Path(self.tmp.name), name, aps=[AP])
        self.addCleanup(board.stop)  # also when start() fails half-way
        board.start()
        board.provision(files, config)
        board.log.wait_for(pattern, timeout=30)
        self.assertNotIn("Received SUBSCRIBE from", self.tls.broker.log_text())

    def test_wrong_ca_on_the_device(self):
        files = device_files(self.tls.other_ca, self.tls.device)  # ca.pem: a CA that did not sign the broker
        self.run_board(files, device_config(self.tls), r"not signed by any CA in mqtt\.ssl_ca_cert", "wrong-ca")

    def test_client_certificate_the_broker_does_not_trust(self):
        files = device_files(self.tls.ca, self.tls.stranger)
        self.run_board(files, device_config(self.tls), r"rejected the client certificate", "stranger")

    def test_wrong_wifi_password(self):
        cfg = device_config(self.tls, ap=(AP[0], "wrong password"))
        self.run_board(device_files(self.tls.ca, self.tls.device), cfg, r"(?i)wifi.*(wrong password|auth)", "bad-wifi")

    def test_wrong_server_host_name(self):
        # The broker's certificate names "localhost" only; 127.0.0.1 is the same
        # machine under a name the certificate does not carry.
        cfg = device_config(self.tls, server=f"127.0.0.1:{self.tls.broker.tls_port}")
        self.run_board(device_files(self.tls.ca, self.tls.device), cfg, r"hostname mismatch", "bad-name")


if __name__ == "__main__":
    unittest.main()
