"""A scripted, deliberately misbehaving MQTT 3.1.1 broker for the bad-input tests.

Plain TCP on 127.0.0.1 at a free port, or TLS with an ssl.SSLContext
(tls_stream.py: the test sees the raw records). Each accepted connection runs one step
of a script (the last step repeats), so a test can say "first connection:
CONNACK then a PUBLISH bigger than the board's buffer; later ones: behave" and
watch the board drop, back off and come back. Every connection's start time,
the CONNECT it received and how it ended are recorded.
"""
from __future__ import annotations

import socket
import ssl
import struct
import threading
import time
from dataclasses import dataclass, field

from tls_stream import TlsStream


def encode_remaining_length(n: int) -> bytes:
    # MQTT 3.1.1 §2.2.3: 7 bits per byte, continuation bit 0x80, at most 4 bytes.
    out = bytearray()
    while True:
        b, n = n % 128, n // 128
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def packet(first_byte: int, body: bytes) -> bytes:
    return bytes([first_byte]) + encode_remaining_length(len(body)) + body


def connack(rc: int = 0, session_present: bool = False) -> bytes:
    return packet(0x20, bytes([1 if session_present else 0, rc]))  # §3.2


def suback(packet_id: int, granted: int = 0) -> bytes:
    return packet(0x90, struct.pack(">H", packet_id) + bytes([granted]))  # §3.9


def publish(topic: str, payload: bytes, qos: int = 0, packet_id: int = 1) -> bytes:
    t = topic.encode()
    body = struct.pack(">H", len(t)) + t + (struct.pack(">H", packet_id) if qos else b"") + payload
    return packet(0x30 | (qos << 1), body)  # §3.3


@dataclass
class Connection:
    started: float
    connect: dict = field(default_factory=dict)
    packets: list = field(default_factory=list)  # (type, flags, body) received
    ended: str = ""


class Peer:
    """One accepted connection, handed to a script step."""

    def __init__(self, sock: "socket.socket | TlsStream", record: Connection, stop: threading.Event):
        self.sock, self.record, self.stop = sock, record, stop
        self.buf = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def read_packet(self, timeout: float = 10.0):
        """Returns (type, flags, body), or None when the board closed or time ran out."""
        deadline = time.monotonic() + timeout
        while not self.stop.is_set():
            pkt = self._parse()
            if pkt:
                self.record.packets.append(pkt)
                return pkt
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            self.sock.settimeout(min(left, 0.2))
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            except OSError:
                return None
            if not chunk:
                return None
            self.buf += chunk
        return None

    def _parse(self):
        if len(self.buf) < 2:
            return None
        n, mult, i = 0, 1, 1
        while True:
            if i >= len(self.buf):
                return None
            b = self.buf[i]
            n += (b & 0x7F) * mult
            mult *= 128
            i += 1
            if not b & 0x80:
                break
            if i > 4:
                raise ValueError("the board sent a bad remaining length")
        if len(self.buf) < i + n:
            return None
        first, body = self.buf[0], self.buf[i:i + n]
        self.buf = self.buf[i + n:]
        return first >> 4, first & 0x0F, body

    def expect_connect(self) -> dict:
        pkt = self.read_packet()
        if not pkt or pkt[0] != 1:
            raise AssertionError(f"expected CONNECT, got {pkt}")
        body = pkt[2]
        # §3.1.2: protocol name, level, flags, keep alive, then the client id.
        name_len = struct.unpack(">H", body[:2])[0]
        proto = body[2:2 + name_len].decode()
        level, flags = body[2 + name_len], body[3 + name_len]
        keep_alive = struct.unpack(">H", body[4 + name_len:6 + name_len])[0]
        p = 6 + name_len
        cid_len = struct.unpack(">H", body[p:p + 2])[0]
        info = {"protocol": proto, "level": level, "flags": flags, "keep_alive": keep_alive,
                "client_id": body[p + 2:p + 2 + cid_len].decode(errors="replace")}
        self.record.connect = info
        return info

    def behave(self, duration: float = 3600.0) -> None:
        """A well-behaved broker from here on: SUBACKs, PINGRESPs, PUBACKs."""
        deadline = time.monotonic() + duration
        while time.monotonic() < deadline and not self.stop.is_set():
            pkt = self.read_packet(timeout=0.5)
            if pkt is None:
                if self.buf == b"" and self._closed():
                    return
                continue
            kind, flags, body = pkt
            if kind == 8:  # SUBSCRIBE §3.8 -> SUBACK, one granted QoS 0 per filter
                pid = struct.unpack(">H", body[:2])[0]
                self.send(suback(pid))
            elif kind == 12:  # PINGREQ -> PINGRESP
                self.send(bytes([0xD0, 0]))
            elif kind == 3 and (flags >> 1) & 3 == 1:  # QoS 1 PUBLISH -> PUBACK
                tl = struct.unpack(">H", body[:2])[0]
                pid = body[2 + tl:4 + tl]
                self.send(bytes([0x40, 2]) + pid)
            elif kind == 14:  # DISCONNECT
                return

    def wait_closed(self, timeout: float = 10.0) -> bool:
        """True once the board closed its side (it gave up on us)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.read_packet(timeout=0.2) is None and self._closed():
                return True
        return False

    def _closed(self) -> bool:
        self.sock.settimeout(0.05)
        try:
            chunk = self.sock.recv(65536, socket.MSG_PEEK)
            return chunk == b""
        except socket.timeout:
            return False
        except OSError:
            return True


class FakeBroker:
    """steps: callables taking a Peer; connection k runs steps[min(k, len-1)].
    tls: a server-side SSLContext, or None for plain TCP; the TlsStream of
    connection k is streams[k] (its ClientHello, the records sent)."""

    def __init__(self, steps, tls: ssl.SSLContext | None = None):
        self.steps = list(steps)
        self.tls = tls
        self.streams: list[TlsStream] = []
        self.connections: list[Connection] = []
        self.stop_event = threading.Event()
        self.srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(8)
        self.port = self.srv.getsockname()[1]
        self.threads: list[threading.Thread] = []
        self.errors: list[str] = []
        self.acceptor = threading.Thread(target=self._accept, daemon=True)
        self.acceptor.start()

    def _accept(self) -> None:
        self.srv.settimeout(0.2)
        while not self.stop_event.is_set():
            try:
                sock, _ = self.srv.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            rec = Connection(started=time.monotonic())
            idx = len(self.connections)
            self.connections.append(rec)
            step = self.steps[min(idx, len(self.steps) - 1)]
            t = threading.Thread(target=self._run, args=(step, sock, rec), daemon=True)
            t.start()
            self.threads.append(t)

    def _run(self, step, sock, rec) -> None:
        try:
            if self.tls is not None:
                sock = TlsStream(sock, self.tls)
                self.streams.append(sock)
                sock.handshake()
            peer = Peer(sock, rec, self.stop_event)
            step(peer)
            rec.ended = rec.ended or "script done"
        except Exception as e:  # noqa: BLE001 - recorded for the test to show
            rec.ended = f"error: {e}"
            self.errors.append(str(e))
        finally:
            try:
                sock.close()
            except OSError:
                pass

    def wait_connections(self, n: int, timeout: float) -> list[Connection]:
        deadline = time.monotonic() + timeout
        while len(self.connections) < n:
            if time.monotonic() >= deadline:
                raise TimeoutError(f"the board made {len(self.connections)} connection(s) to the fake "
                                   f"broker, expected {n} within {timeout}s")
            time.sleep(0.05)
        return self.connections

    def close(self) -> None:
        self.stop_event.set()
        self.srv.close()
        self.acceptor.join(timeout=2)
        for t in self.threads:
            t.join(timeout=2)

    def __enter__(self) -> "FakeBroker":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def publishes_to(records: list[Connection], topic: str) -> list[bytes]:
    """Payloads of the PUBLISHes the board sent to `topic`, over all connections."""
    out = []
    for rec in records:
        for kind, flags, body in rec.packets:
            if kind == 3:
                tl = struct.unpack(">H", body[:2])[0]
                qos = (flags >> 1) & 3
                if body[2:2 + tl].decode(errors="replace") == topic:
                    out.append(body[2 + tl + (2 if qos else 0):])
    return out


# ---- script steps used by the tests ----

def bad_remaining_length(peer: Peer) -> None:
    # §2.2.3: a fifth length byte (continuation bit still set after 4) is malformed.
    peer.expect_connect()
    peer.send(bytes([0x20, 0xFF, 0xFF, 0xFF, 0xFF, 0x01]))
    peer.wait_closed()


def oversized_publish(size: int):
    def step(peer: Peer) -> None:
        peer.expect_connect()
        peer.send(connack(0))
        peer.read_packet(timeout=3)  # its SUBSCRIBE
        body = b"x" * size
        peer.send(publish("/request", body))
        peer.wait_closed()
    return step


def unexpected_packet(first_byte: int, body: bytes = b""):
    """E.g. 0x10 CONNECT or 0x80 SUBSCRIBE sent to a client (§2.2.1: server-to-client only
    CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBACK, UNSUBACK, PINGRESP)."""
    def step(peer: Peer) -> None:
        peer.expect_connect()
        peer.send(connack(0))
        peer.send(packet(first_byte, body))
        peer.wait_closed()
    return step


def connack_refused(rc: int):
    def step(peer: Peer) -> None:
        peer.expect_connect()
        peer.send(connack(rc))
        peer.wait_closed()
    return step


def well_behaved(peer: Peer) -> None:
    peer.expect_connect()
    peer.send(connack(0))
    peer.behave()
