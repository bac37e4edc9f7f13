"""Bad input (issue #3): a scripted fake broker sends malformed packets, bad
payloads arrive on /request, garbage arrives on the UART. The board must
disconnect, log why, back off, reconnect and keep answering: no crash.

The board's mqtt.server has no :8883 and no CA, so it speaks plain TCP to
the fake broker on 127.0.0.1.
"""
from __future__ import annotations

import json
import os
import struct
import subprocess
import tempfile
import time
import unittest
from pathlib import Path

import board as b
import fake_broker as fb
import mostest
from fake_broker import publishes_to

AP = ("mos-test-ap", "correct horse")
MIN_BACKOFF, MAX_BACKOFF = 1, 4
BUFFER = 1024  # MOS_MQTT_MAX_PACKET: the board's MQTT receive buffer


def plain_config(port: int) -> dict:
    return {"wifi.sta.enable": "true", "wifi.sta.ssid": AP[0], "wifi.sta.pass": AP[1],
            "mqtt.enable": "true", "mqtt.server": f"127.0.0.1:{port}",
            "mqtt.reconnect_timeout_min": MIN_BACKOFF, "mqtt.reconnect_timeout_max": MAX_BACKOFF}


class Commands:
    """A step that behaves, and sends the test's queued PUBLISHes to the board."""

    def __init__(self):
        self.queue: list[bytes] = []

    def __call__(self, peer: fb.Peer) -> None:
        peer.expect_connect()
        peer.send(fb.connack(0))
        deadline = time.monotonic() + 600
        while time.monotonic() < deadline and not peer.stop.is_set():
            while self.queue:
                peer.send(fb.publish("/request", self.queue.pop(0)))
            pkt = peer.read_packet(timeout=0.1)
            if pkt is None:
                if peer._closed():
                    return
                continue
            kind, flags, body = pkt
            if kind == 8:
                peer.send(fb.suback(struct.unpack(">H", body[:2])[0]))
            elif kind == 12:
                peer.send(bytes([0xD0, 0]))
            elif kind == 3 and (flags >> 1) & 3 == 1:
                tl = struct.unpack(">H", body[:2])[0]
                peer.send(bytes([0x40, 2]) + body[2 + tl:4 + tl])


class BadInput(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory(prefix="mos-e2e-bad-")
        self.addCleanup(self.tmp.cleanup)

    def start_board(self, broker_port: int, name: str) -> b.Board:
        board = b.Board(Path(self.tmp.name), name, aps=[AP])
        self.addCleanup(board.stop)  # also when start() fails half-way
        board.start()
        board.provision({}, plain_config(broker_port))
        return board

    def test_malformed_packets_disconnect_log_back_off_and_reconnect(self):
        commands = Commands()
        # Each step and the reason the board must log (MQTT 3.1.1 §4.8: a
        # protocol violation closes the connection).
        steps = [
            ("bad remaining length", fb.bad_remaining_length,
             r"MQTT disconnected: [^\n]*remaining length"),
            ("PUBLISH larger than the buffer", fb.oversized_publish(BUFFER * 8),
             r"MQTT disconnected: [^\n]*larger than the receive buffer"),
            ("unexpected CONNECT from the server",
             fb.unexpected_packet(0x10, b"\x00\x04MQTT\x04\x02\x00\x3c\x00\x00"),
             r"MQTT disconnected: [^\n]*unexpected packet"),
            ("unexpected PINGREQ from the server", fb.unexpected_packet(0xC0),
             r"MQTT disconnected: [^\n]*unexpected packet"),
            # ... with where to ask why (the broker is not AWS IoT: the local cloud's record).
            ("CONNACK refusal (not authorized)", fb.connack_refused(5),
             r"MQTT[^\n]*refused[^\n]*not authorized \(CONNACK 5\); see why: mos cloud denials --client-id \S+"),
        ]
        with fb.FakeBroker([s[1] for s in steps] + [commands]) as broker:
            board = self.start_board(broker.port, "bad-packets")
            console = board.log  # from boot: the first failure comes right after provisioning
            conns = broker.wait_connections(len(steps) + 1, timeout=60)
            for what, _, pattern in steps:
                with self.subTest(what):
                    console.wait_for(pattern, timeout=10, advance=True)  # in order
            # Each failed attempt waits at least reconnect_timeout_min (-10 % jitter).
            starts = [c.started for c in conns[:len(steps) + 1]]
            gaps = [b2 - a for a, b2 in zip(starts, starts[1:])]
            for g in gaps:
                self.assertGreaterEqual(g, MIN_BACKOFF * 0.9 - 0.05, f"reconnected too fast: gaps {gaps}")
                self.assertLessEqual(g, MAX_BACKOFF * 1.1 + 3, f"reconnected too slowly: gaps {gaps}")
            # Still alive: it answers RPC and obeys on the good connection.
            self.assertTrue(board.ping(), "the board stopped answering RPC")
            mostest.wait_until(lambda: any(k == 8 for k, _, _ in conns[len(steps)].packets), timeout=10,
                               what="SUBSCRIBE on the good connection")
            commands.queue.append(b.SEED_ON.encode())
            mostest.wait_until(lambda: publishes_to(broker.connections, "/response"), timeout=10,
                               what="a reply on /response")
            self.assertEqual(json.loads(publishes_to(broker.connections, "/response")[0]),
                             {"type": "gpio", "pin": 2, "state": 0})

    def test_bad_payloads_get_an_error_reply(self):
        commands = Commands()
        with fb.FakeBroker([commands]) as broker:
            board = self.start_board(broker.port, "bad-payloads")
            mostest.wait_until(lambda: broker.connections and any(k == 8 for k, _, _ in broker.connections[-1].packets),
                               timeout=30, what="the board subscribed")
            cases = [b"{gpio: {pin: 2, state: ", b"\xff\xfe\x00binary", b"[" * 500 + b"]" * 500,
                     b"{pad: \"" + b"x" * 900 + b"\"}", b"", b"{gpio: 7}"]
            for i, payload in enumerate(cases):
                with self.subTest(i=i):
                    before = len(publishes_to(broker.connections, "/response"))
                    commands.queue.append(payload)
                    replies = mostest.wait_until(
                        lambda: publishes_to(broker.connections, "/response")[before:], timeout=10,
                        what=f"a reply to bad payload {i}")
                    err = json.loads(replies[0]).get("error")
                    self.assertEqual(err["code"], -1)
                    self.assertTrue(err["message"])
            self.assertTrue(board.ping())

    def test_garbage_on_the_uart_is_ignored_and_the_console_keeps_working(self):
        commands = Commands()
        with fb.FakeBroker([commands]) as broker:
            board = self.start_board(broker.port, "uart-garbage")
            mostest.wait_until(lambda: broker.connections and any(k == 8 for k, _, _ in broker.connections[-1].packets),
                               timeout=30, what="the board subscribed")
            fd = os.open(board.port, os.O_RDWR | os.O_NOCTTY)
            try:
                junk = bytes(range(256)) * 8 + b'"""{not json}"""\n' + b'"""' + b"x" * 9000 + b"\n" + os.urandom(4096)
                os.write(fd, junk)
            finally:
                os.close(fd)
            mostest.wait_until(board.ping, timeout=10, what="RPC answers after the garbage")
            info = json.loads(board.mos("call", "Sys.GetInfo").stdout)
            self.assertEqual(info.get("app"), "c_mqtt")
            # `mos console` on the same port still shows the log as it comes.
            con = subprocess.Popen([b.MOS, "--port", board.port, "--timeout", "15", "console", "--until",
                                    r"gpio 2 -> 0"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                   text=True, errors="replace", env=board.env)
            time.sleep(0.5)
            commands.queue.append(b.SEED_ON.encode())
            out, err = con.communicate(timeout=30)
            self.assertEqual(con.returncode, 0, f"mos console did not show the command's log line:\n{out}{err}")
            self.assertIn("gpio 2 -> 0", out)


if __name__ == "__main__":
    unittest.main()
