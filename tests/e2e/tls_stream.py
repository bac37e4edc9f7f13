"""Server-side TLS for the fake broker, through OpenSSL memory BIOs (Python's
ssl.SSLObject) rather than a wrapped socket, so a test sees the raw records:
the extensions of the board's ClientHello (RFC 5246 §7.4.1.2) and the length
of every record the broker sends (RFC 5246 §6.2.1).

OpenSSL, like Mosquitto's, honours max_fragment_length (RFC 6066 §4): a
ClientHello that asks for it gets records no larger. One that does not ask
gets records of up to 2^14 bytes of plaintext, as AWS IoT Core sends.
"""
from __future__ import annotations

import socket
import ssl
import struct
import time

APPLICATION_DATA = 23  # RFC 5246 §6.2.1 ContentType


def client_hello_mfl(record: bytes) -> int:
    """The max_fragment_length code in a ClientHello record (1..4 for 2^9..2^12),
    or 0 when the extension is absent."""
    p = 5 + 4 + 2 + 32  # record header, handshake header, client_version, random
    p += 1 + record[p]  # session_id
    p += 2 + struct.unpack_from(">H", record, p)[0]  # cipher_suites
    p += 1 + record[p]  # compression_methods
    end = p + 2 + struct.unpack_from(">H", record, p)[0]
    p += 2
    while p + 4 <= end:
        kind, length = struct.unpack_from(">HH", record, p)
        if kind == 1:  # max_fragment_length
            return record[p + 4]
        p += 4 + length
    return 0


class TlsStream:
    """A socket-like server end of one TLS connection (sendall, recv, settimeout, close)."""

    def __init__(self, sock: socket.socket, context: ssl.SSLContext):
        self.sock = sock
        self.incoming, self.outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
        self.tls = context.wrap_bio(self.incoming, self.outgoing, server_side=True)
        self.client_hello = b""        # the first record from the board
        self.records_sent: list[tuple[int, int]] = []  # (content type, length) of each record sent
        self._raw_in = b""
        self._raw_out = b""

    def handshake(self, timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while True:
            try:
                self.tls.do_handshake()
                self._flush()
                return
            except ssl.SSLWantReadError:
                self._flush()
                if time.monotonic() > deadline or not self._pull(deadline - time.monotonic()):
                    raise ConnectionError("the board left during the TLS handshake")

    def sendall(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            n = self.tls.write(view)
            view = view[n:]
        self._flush()

    def recv(self, n: int, flags: int = 0) -> bytes:
        if flags & socket.MSG_PEEK:  # only "has the board closed?" is asked this way
            if self.tls.pending():
                return b"?"
            return self.sock.recv(n, socket.MSG_PEEK)
        while True:
            try:
                return self.tls.read(n)
            except ssl.SSLWantReadError:
                chunk = self.sock.recv(65536)  # honours settimeout(): socket.timeout propagates
                if not chunk:
                    return b""
                self._feed(chunk)
            except (ssl.SSLZeroReturnError, ssl.SSLEOFError):
                return b""

    def settimeout(self, t) -> None:
        self.sock.settimeout(t)

    def close(self) -> None:
        self.sock.close()

    def largest_record(self, content_type: int = APPLICATION_DATA) -> int:
        return max((n for t, n in self.records_sent if t == content_type), default=0)

    def _pull(self, timeout: float) -> bool:
        self.sock.settimeout(max(timeout, 0.01))
        try:
            chunk = self.sock.recv(65536)
        except socket.timeout:
            return True
        if not chunk:
            return False
        self._feed(chunk)
        return True

    def _feed(self, chunk: bytes) -> None:
        if not self.client_hello:
            self._raw_in += chunk
            if len(self._raw_in) >= 5:
                n = 5 + struct.unpack_from(">H", self._raw_in, 3)[0]
                if len(self._raw_in) >= n:
                    self.client_hello = self._raw_in[:n]
        self.incoming.write(chunk)

    def _flush(self) -> None:
        data = self.outgoing.read()
        if not data:
            return
        self._raw_out += data
        while len(self._raw_out) >= 5:  # account each whole record sent
            kind, length = self._raw_out[0], struct.unpack_from(">H", self._raw_out, 3)[0]
            if len(self._raw_out) < 5 + length:
                break
            self.records_sent.append((kind, length))
            self._raw_out = self._raw_out[5 + length:]
        self.sock.sendall(data)
