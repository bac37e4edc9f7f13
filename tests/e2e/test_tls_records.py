"""End to end: mqtt.ssl_rx_buf_size on a virtual board running the c_mqtt
firmware, against the fake broker speaking TLS through OpenSSL (tls_stream.py)
with mutual authentication.

After the board subscribes, the broker writes 17 PUBLISHes of ~1 KB to a
topic the board ignores and then the seed's command, 16.4 KB in one write.
A TLS stack sends that as one full 16384-byte record unless the ClientHello
asked for max_fragment_length (RFC 6066 §4), which OpenSSL honours and AWS
IoT Core ignores. So:
- 16384 (what `mos aws-iot-setup` sets for AWS): no max_fragment_length is
  asked for, a full record arrives, the board obeys the command in it;
- 0 (the small default): max_fragment_length 2048 is asked for and honoured;
- out of range: one console line says so, and the nearest value is used.
The failure of the small default against a server that ignores the extension
is shown by apps/c_mqtt/test/mqtt_link_records_test.cpp: OpenSSL always
honours it, so no broker here can play AWS for that case.
"""
from __future__ import annotations

import json
import ssl
import struct
import tempfile
import unittest
from pathlib import Path

import board as b
import fake_broker as fb
import mostest
from fake_broker import publishes_to
from tls_stream import client_hello_mfl

AP = ("mos-test-ap", "correct horse")
PADDING = 17  # PUBLISHes of 950 bytes before the command: past 16384 bytes in all


def burst(peer: fb.Peer) -> None:
    peer.expect_connect()
    peer.send(fb.connack(0))
    pkt = peer.read_packet()
    if not pkt or pkt[0] != 8:
        raise AssertionError(f"expected SUBSCRIBE, got {pkt}")
    data = fb.suback(struct.unpack(">H", pkt[2][:2])[0])
    data += b"".join(fb.publish("/mos/pad", bytes([0x61 + i]) * 950) for i in range(PADDING))
    data += fb.publish("/request", b.SEED_ON.encode())
    peer.send(data)  # one write: records as large as the TLS session allows
    peer.behave()


class TlsRecordSizes(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="mos-e2e-records-")
        pki = mostest.Pki(Path(cls.tmp.name) / "pki")
        cls.ca = pki.ca("mos-test-ca")
        server = pki.cert("broker", cls.ca, san="DNS:localhost")
        cls.device = pki.cert("device", cls.ca, cn="esp8266_records")
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ctx.maximum_version = ssl.TLSVersion.TLSv1_2  # what the board speaks
        ctx.load_cert_chain(server.cert, server.key)
        ctx.load_verify_locations(cls.ca.cert)
        ctx.verify_mode = ssl.CERT_REQUIRED  # mutual TLS, as AWS IoT
        cls.context = ctx

    @classmethod
    def tearDownClass(cls):
        cls.tmp.cleanup()

    def run_board(self, name: str, rx_buf_size: int):
        broker = fb.FakeBroker([burst], tls=self.context)
        self.addCleanup(broker.close)
        board = b.Board(Path(self.tmp.name), name, aps=[AP])
        self.addCleanup(board.stop)
        board.start()
        board.provision({"ca.pem": self.ca.cert, "device.crt": self.device.cert, "device.key": self.device.key}, {
            "wifi.sta.enable": "true", "wifi.sta.ssid": AP[0], "wifi.sta.pass": AP[1],
            "mqtt.enable": "true", "mqtt.server": f"localhost:{broker.port}",
            "mqtt.ssl_ca_cert": "ca.pem", "mqtt.ssl_cert": "device.crt", "mqtt.ssl_key": "device.key",
            "mqtt.ssl_rx_buf_size": rx_buf_size,
            "mqtt.reconnect_timeout_min": 1, "mqtt.reconnect_timeout_max": 4})
        # The command at the end of the burst was obeyed: LED on, reply sent.
        replies = mostest.wait_until(lambda: publishes_to(broker.connections, "/response"), timeout=30,
                                     what="the board's reply to the command after the burst")
        self.assertEqual(json.loads(replies[0]), {"type": "gpio", "pin": 2, "state": 0})
        self.assertEqual(board.gpio(2), 0)
        self.assertEqual(broker.errors, [])
        return board, broker.streams[-1]

    def test_full_records_when_set_to_16384(self):
        board, stream = self.run_board("records-16k", 16384)
        self.assertEqual(client_hello_mfl(stream.client_hello), 0, "no max_fragment_length asked for")
        self.assertGreater(stream.largest_record(), 16384, "a full 16384-byte record (plus its MAC) was sent")
        board.log.wait_for(r"boot: the app took \d+ of 19456 bytes of boot memory")
        board.log.wait_for(r"mqtt: TLS input records up to 16384 bytes \(mqtt\.ssl_rx_buf_size\); "
                           r"max_fragment_length not asked for")
        board.log.wait_for(r"TLS: connected to localhost, \S+, full 16384-byte records")

    def test_small_default_asks_for_2048_byte_records(self):
        board, stream = self.run_board("records-default", 0)
        self.assertEqual(client_hello_mfl(stream.client_hello), 3, "max_fragment_length 2^11")
        self.assertLessEqual(stream.largest_record(), 2048 + 256, "OpenSSL honoured max_fragment_length")
        board.log.wait_for(r"mqtt: TLS asking for 2048-byte records \(max_fragment_length\)")
        board.log.wait_for(r"TLS: connected to localhost, \S+, max_fragment_length 2048")

    def test_out_of_range_value_is_logged_and_the_nearest_used(self):
        board, stream = self.run_board("records-big", 99999)
        board.log.wait_for(r"mqtt\.ssl_rx_buf_size = 99999 is out of range 0, 512\.\.16384; using 16384")
        self.assertEqual(client_hello_mfl(stream.client_hello), 0)
        self.assertGreater(stream.largest_record(), 16384)


if __name__ == "__main__":
    unittest.main()
