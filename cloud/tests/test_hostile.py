"""Hostile clients against mos-cloud's HTTP front, each while a well-behaved
boto3 client keeps calling the API: slowloris, chunked flood, header floods
(bytes and count), oversized bodies of every content type, many idle
connections. Each case asserts a generous latency ceiling for the good client
(< 2 s per call, no errors) and that mos-cloud's resident memory stays
bounded (VmRSS from /proc/PID/status).

The attack classes and good_client() are shared with
bench/http_hostile_bench.py, which prints the latencies side by side."""
from __future__ import annotations

import json
import os
import select
import socket
import statistics
import subprocess
import threading
import time
import unittest

import cloudtest

CEILING_S = 2.0          # per good call, whatever the load
RSS_GROWTH_MB = 64       # mos-cloud's peak VmRSS over its baseline during a flood
CASE_SECONDS = float(os.environ.get("MOS_HOSTILE_SECONDS", "4"))


# ---------------------------------------------------------------- measurement

def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


class RssSampler:
    """Peak VmRSS of a process, sampled every 50 ms in a thread."""

    def __init__(self, pid: int):
        self.pid, self.peak, self._stop = pid, rss_kib(pid), threading.Event()
        self._t = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.wait(0.05):
            try:
                self.peak = max(self.peak, rss_kib(self.pid))
            except OSError:
                return

    def __enter__(self):
        self._t.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._t.join()


def good_boto3(srv):
    """A boto3 iot client with short timeouts, so a starved server fails the
    test instead of hanging it."""
    import boto3
    from botocore.config import Config
    return boto3.client("iot", endpoint_url=srv.url, region_name=cloudtest.REGION,
                        aws_access_key_id=cloudtest.ACCESS_KEY, aws_secret_access_key=cloudtest.SECRET,
                        config=Config(retries={"max_attempts": 1}, connect_timeout=5, read_timeout=5))


def good_client(iot, seconds: float) -> dict:
    """Calls list_things and describe_endpoint in turn for `seconds`; the
    latency of each call in ms, and the errors."""
    lat, errors = [], []
    end = time.monotonic() + seconds
    i = 0
    while time.monotonic() < end:
        t0 = time.perf_counter()
        try:
            if i % 2:
                iot.describe_endpoint(endpointType="iot:Data-ATS")
            else:
                iot.list_things()
        except Exception as e:  # noqa: BLE001 - any failure of the good client counts
            errors.append(f"{type(e).__name__}: {e}"[:200])
        lat.append((time.perf_counter() - t0) * 1000)
        i += 1
    return {"lat_ms": lat, "errors": errors}


def summary(lat_ms):
    s = sorted(lat_ms)
    if not s:
        return {"n": 0, "p50": float("nan"), "p99": float("nan"), "max": float("nan"), "min": float("nan")}
    return {"n": len(s), "p50": statistics.median(s), "p99": s[min(len(s) - 1, int(len(s) * 0.99))],
            "max": s[-1], "min": s[0]}


# ---------------------------------------------------------------- attacks

class Attack:
    """A hostile load in background threads; start(), then stop()."""
    name = "attack"
    threads = 1

    def __init__(self, port: int):
        self.port = port
        self.stop_event = threading.Event()
        self.sent = 0
        self.replies: list[bytes] = []
        self._threads = []

    def connect(self, timeout: float = 5.0) -> socket.socket:
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return s

    def start(self):
        for k in range(self.threads):
            t = threading.Thread(target=self._guard, args=(k,), daemon=True)
            t.start()
            self._threads.append(t)
        return self

    def _guard(self, k):
        while not self.stop_event.is_set():
            try:
                self.run(k)
            except OSError:
                time.sleep(0.01)  # the server closed on us: come back

    def run(self, k):
        raise NotImplementedError

    def stop(self):
        self.stop_event.set()
        for t in self._threads:
            t.join(timeout=10)

    def read_reply(self, s: socket.socket, timeout: float = 5) -> bytes:
        s.settimeout(timeout)
        data = b""
        try:
            while b"\r\n\r\n" not in data and len(data) < 65536:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        except OSError:
            pass
        if data:
            self.replies.append(data[:200])
        return data


class Slowloris(Attack):
    """N connections that send one header line per `interval` and never end
    the header."""
    name = "slowloris"

    def __init__(self, port, conns=64, interval=1.0):
        super().__init__(port)
        self.conns, self.interval = conns, interval

    def run(self, k):
        socks = []
        while not self.stop_event.is_set():
            while len(socks) < self.conns and not self.stop_event.is_set():
                try:
                    s = self.connect()
                    s.sendall(b"GET /things HTTP/1.1\r\nHost: 127.0.0.1\r\n")
                    socks.append(s)
                except OSError:
                    break
            self.stop_event.wait(self.interval)
            alive = []
            for i, s in enumerate(socks):
                try:
                    s.sendall(b"X-Drip-%d: %d\r\n" % (i, self.sent))
                    self.sent += 1
                    alive.append(s)
                except OSError:
                    s.close()
            socks = alive
        for s in socks:
            s.close()


class ChunkedFlood(Attack):
    """Connections that stream a chunked body as fast as they can (up to
    `per_conn_mb` each, then start again)."""
    name = "chunked flood"
    threads = 4

    def __init__(self, port, per_conn_mb=64):
        super().__init__(port)
        self.per_conn = per_conn_mb * 1024 * 1024

    def run(self, k):
        s = self.connect()
        try:
            s.sendall(b"POST /things/flood HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\n")
            chunk = b"10000\r\n" + b" " * 0x10000 + b"\r\n"
            n = 0
            while n < self.per_conn and not self.stop_event.is_set():
                s.sendall(chunk)
                n += 0x10000
                self.sent += 0x10000
                if select.select([s], [], [], 0)[0]:  # the server answered early
                    self.read_reply(s)
                    return
            s.sendall(b"0\r\n\r\n")
            self.read_reply(s)
        finally:
            s.close()


class HeaderFlood(Attack):
    """Requests whose header never stops growing: `line_bytes`-long lines up
    to `total_mb` (bytes flood) or many tiny lines (count flood)."""
    threads = 2

    def __init__(self, port, line_bytes=8000, total_mb=50):
        super().__init__(port)
        self.line_bytes, self.total = line_bytes, total_mb * 1024 * 1024
        self.name = "header flood (bytes)" if line_bytes > 100 else "header flood (count)"

    def run(self, k):
        s = self.connect()
        try:
            s.sendall(b"GET /things HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            n, i = 0, 0
            batch = []
            while n < self.total and not self.stop_event.is_set():
                line = b"X-F%d: " % i
                line += b"a" * max(1, self.line_bytes - len(line) - 2) + b"\r\n"
                batch.append(line)
                n += len(line)
                i += 1
                if len(batch) >= 64 or self.line_bytes > 100:
                    s.sendall(b"".join(batch))
                    self.sent += sum(map(len, batch))
                    batch = []
                    if select.select([s], [], [], 0)[0]:  # the server answered early
                        self.read_reply(s)
                        return
            s.sendall(b"".join(batch) + b"\r\n")
            self.read_reply(s)
        finally:
            s.close()


CONTENT_TYPES = ["application/json", "application/x-www-form-urlencoded", "text/plain",
                 "application/octet-stream", "multipart/form-data; boundary=x", None]


class OversizedBodies(Attack):
    """Requests announcing a 600 KB body (over the 128 KiB limit, under the
    1 MiB that some servers read before checking) of every content type, and
    a chunked one announcing a 600 KB chunk; each sends only the first KiB
    and waits: the front must answer 413 from the header alone."""
    name = "oversized bodies"
    SIZE = 600_000

    def run(self, k):
        first = b"{" + b" " * 1023
        for ct in CONTENT_TYPES + ["chunked"]:
            if self.stop_event.is_set():
                return
            s = self.connect()
            try:
                head = b"POST /things/big HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                if ct == "chunked":
                    s.sendall(head + b"Transfer-Encoding: chunked\r\n\r\n" + b"%x\r\n" % self.SIZE + first)
                else:
                    if ct:
                        head += b"Content-Type: " + ct.encode() + b"\r\n"
                    s.sendall(head + b"Content-Length: %d\r\n\r\n" % self.SIZE + first)
                self.sent += len(first)
                if not self.read_reply(s, timeout=3):
                    self.replies.append(b"(no reply within 3 s to " + (ct or "no type").encode() + b")")
            finally:
                s.close()


class IdleConnections(Attack):
    """Many connections that connect and then say nothing (half of them
    after half a request line)."""
    name = "idle connections"

    def __init__(self, port, conns=1000):
        super().__init__(port)
        self.conns = conns

    def run(self, k):
        socks = []
        try:
            for i in range(self.conns):
                if self.stop_event.is_set():
                    break
                s = self.connect()
                if i % 2:
                    s.sendall(b"GET /thi")
                socks.append(s)
                self.sent += 1
            self.stop_event.wait()
        finally:
            for s in socks:
                s.close()


def all_attacks(port):
    return [Slowloris(port), ChunkedFlood(port), HeaderFlood(port, 8000, 50), HeaderFlood(port, 6, 4),
            OversizedBodies(port), IdleConnections(port)]


def under_attack(srv, iot, attack: Attack | None, seconds: float = CASE_SECONDS) -> dict:
    """Runs the good client for `seconds` under `attack`; latencies, errors,
    baseline and peak RSS (MiB)."""
    pid = srv.proc.pid
    base = rss_kib(pid)
    with RssSampler(pid) as rs:
        if attack:
            attack.start()
            time.sleep(0.5)  # let the load build up
        out = good_client(iot, seconds)
        if attack:
            attack.stop()
    out.update(summary(out["lat_ms"]))
    out["rss_base_mb"], out["rss_peak_mb"] = base / 1024, rs.peak / 1024
    out["rss_after_mb"] = rss_kib(pid) / 1024
    return out


# ---------------------------------------------------------------- tests

class HostileTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = cloudtest.Server().start()
        cls.iot = good_boto3(cls.srv)
        cls.iot.list_things()  # warm up (connection pool, botocore loaders)

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def survive(self, attack):
        r = under_attack(self.srv, self.iot, attack)
        print(f"\n{attack.name:22s} good client: n={r['n']} p50={r['p50']:.1f} ms p99={r['p99']:.1f} ms "
              f"max={r['max']:.1f} ms; mos-cloud RSS {r['rss_base_mb']:.0f} -> peak {r['rss_peak_mb']:.0f} MiB",
              flush=True)
        self.assertTrue(self.srv.alive(), "mos-cloud died")
        self.assertEqual(r["errors"], [], f"{attack.name}: the good client failed")
        self.assertGreater(r["n"], 3, f"{attack.name}: the good client hardly got through")
        self.assertLess(r["max"], CEILING_S * 1000, f"{attack.name}: a good call took {r['max']:.0f} ms")
        self.assertLess(r["rss_peak_mb"] - r["rss_base_mb"], RSS_GROWTH_MB,
                        f"{attack.name}: mos-cloud grew from {r['rss_base_mb']:.0f} to {r['rss_peak_mb']:.0f} MiB")
        return r

    def test_slowloris(self):
        a = Slowloris(self.srv.port)
        self.survive(a)
        self.assertGreater(a.sent, 0)

    def test_slowloris_aws_cli(self):
        """The real AWS CLI under slowloris: one call, within its usual time
        plus the ceiling."""
        a = Slowloris(self.srv.port).start()
        try:
            time.sleep(0.5)
            t0 = time.monotonic()
            p = subprocess.run([cloudtest.AWS, "--endpoint-url", self.srv.url, "--cli-read-timeout", "10",
                                "--cli-connect-timeout", "5", "iot", "list-things"],
                               capture_output=True, text=True, env=cloudtest.aws_env(), timeout=60)
            took = time.monotonic() - t0
        finally:
            a.stop()
        print(f"\naws iot list-things under slowloris: {took:.2f} s", flush=True)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("things", json.loads(p.stdout))
        self.assertLess(took, 10.0)  # the CLI alone takes 1-3 s to start here

    def test_chunked_flood(self):
        a = ChunkedFlood(self.srv.port)
        self.survive(a)
        self.assertTrue(any(b" 413 " in r for r in a.replies), a.replies[:3])

    def test_header_flood_bytes(self):
        a = HeaderFlood(self.srv.port, 8000, 50)
        self.survive(a)
        self.assertTrue(any(b" 431 " in r for r in a.replies), a.replies[:3])

    def test_header_flood_count(self):
        a = HeaderFlood(self.srv.port, 6, 4)
        self.survive(a)
        self.assertTrue(any(b" 431 " in r for r in a.replies), a.replies[:3])

    def test_oversized_bodies(self):
        a = OversizedBodies(self.srv.port)
        self.survive(a)
        self.assertGreaterEqual(len(a.replies), len(CONTENT_TYPES) + 1)
        for r in a.replies:
            self.assertIn(b" 413 ", r.split(b"\r\n")[0])
            self.assertIn(b"RequestEntityTooLargeException", r)

    def test_idle_connections(self):
        self.survive(IdleConnections(self.srv.port))

    def test_signed_body_limit_is_128k_for_every_content_type(self):
        """A signed JSON body of 20 KB is accepted whatever its Content-Type
        (curl's default is x-www-form-urlencoded); 129 KiB is refused with 413
        before the signature is looked at."""
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        import urllib.error
        import urllib.request
        for i, ct in enumerate(CONTENT_TYPES[:-1]):
            for size, want in ((20_000, 200), (129 * 1024, 413)):
                with self.subTest(content_type=ct, size=size):
                    body = json.dumps({"attributePayload": {"attributes": {"k": "v"}},
                                       "padding": "x" * size}).encode()
                    url = f"{self.srv.url}/things/ct{i}_{size}"
                    req = AWSRequest(method="POST", url=url, data=body, headers={"Content-Type": ct})
                    SigV4Auth(Credentials(cloudtest.ACCESS_KEY, cloudtest.SECRET), "execute-api",
                              cloudtest.REGION).add_auth(req)
                    r = urllib.request.Request(url, data=body, method="POST", headers=dict(req.prepare().headers))
                    try:
                        with urllib.request.urlopen(r, timeout=10) as resp:
                            code, hdrs = resp.status, resp.headers
                    except urllib.error.HTTPError as e:
                        code, hdrs = e.code, e.headers
                    self.assertEqual(code, want)
                    if want == 413:
                        self.assertEqual(hdrs.get("x-amzn-ErrorType"), "RequestEntityTooLargeException")

    def test_no_nagle_delay(self):
        """boto3's median call is close to its minimum: no 40 ms Nagle /
        delayed-ACK stall between a reply's header and body."""
        lat = []
        for _ in range(30):
            t0 = time.perf_counter()
            self.iot.describe_endpoint(endpointType="iot:Data-ATS")
            lat.append((time.perf_counter() - t0) * 1000)
        s = summary(lat)
        print(f"\nboto3 describe_endpoint: min {s['min']:.1f} ms, median {s['p50']:.1f} ms", flush=True)
        self.assertLess(s["p50"], 30.0)


if __name__ == "__main__":
    unittest.main()
