"""`mos` device commands against a scripted fake board on a real pty.

The fake speaks the UART framing (ARCHITECTURE.md "RPC") and keeps an
in-memory config and file store, so config-set typing, chunked put/get,
console --until and error paths are checked without a virtual board.
Usage: test_cli_fake_board.py PATH-TO-mos
"""
import base64
import json
import os
import pty
import select
import subprocess
import sys
import threading
import time
import unittest
import zlib

MOS = None
DELIM = b'"""'


class FakeBoard:
    def __init__(self):
        self.master, self.slave = pty.openpty()
        self.path = os.ttyname(self.slave)
        self.config = {"device": {"id": "esp8266_ABCDEF"},
                       "mqtt": {"enable": False, "server": "", "keep_alive": 60,
                                "pub": "/response", "sub": "/request"},
                       "wifi": {"sta": {"enable": False, "ssid": "", "pass": ""}}}
        self.files = {"conf0.json": b"{}"}
        self.calls = []
        self.saved = None
        self.stop = False
        self.buf = b""
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def close(self):
        self.stop = True
        self.thread.join()
        os.close(self.master)
        os.close(self.slave)

    def send(self, data: bytes):
        os.write(self.master, data)

    def reply(self, req, with_crc, result=None, error=None):
        frame = {"id": req["id"], "src": "esp8266_ABCDEF", "dst": req.get("src", "")}
        if error:
            frame["error"] = {"code": error[0], "message": error[1]}
        else:
            frame["result"] = result
        js = json.dumps(frame).encode()
        crc = b"%08x" % zlib.crc32(js) if with_crc else b""
        # A log line before each answer: the client must skip it.
        self.send(b"[00:00:01.000] rpc: " + req["method"].encode() + b"\n" + DELIM + js + crc + DELIM + b"\n")

    def handle(self, req, with_crc):
        m, a = req["method"], req.get("args") or {}
        self.calls.append((m, a))
        if m == "Config.Get":
            node = self.config
            for part in (a.get("key") or "").split("."):
                if part:
                    node = node[part]
            return self.reply(req, with_crc, node)
        if m == "Config.Set":
            def merge(dst, src):
                for k, v in src.items():
                    if isinstance(v, dict):
                        merge(dst[k], v)
                    else:
                        dst[k] = v
            merge(self.config, a["config"])
            return self.reply(req, with_crc, None)
        if m == "Config.Save":
            self.saved = a
            return self.reply(req, with_crc, None)
        if m == "FS.List":
            return self.reply(req, with_crc, sorted(self.files))
        if m == "FS.ListExt":
            return self.reply(req, with_crc, [{"name": n, "size": len(d)} for n, d in sorted(self.files.items())])
        if m == "FS.Put":
            data = base64.b64decode(a["data"])
            if a.get("append"):
                self.files[a["filename"]] += data
            else:
                self.files[a["filename"]] = data
            return self.reply(req, with_crc, None)
        if m == "FS.Get":
            if a["filename"] not in self.files:
                return self.reply(req, with_crc, error=(-1, "no such file: " + a["filename"]))
            d = self.files[a["filename"]]
            off, ln = a.get("offset", 0), a.get("len", 512)
            part = d[off:off + ln]
            return self.reply(req, with_crc, {"data": base64.b64encode(part).decode(),
                                              "left": len(d) - off - len(part)})
        if m == "FS.Remove":
            self.files.pop(a["filename"])
            return self.reply(req, with_crc, None)
        return self.reply(req, with_crc, error=(404, "No handler for " + m))

    def run(self):
        while not self.stop:
            r, _, _ = select.select([self.master], [], [], 0.02)
            if not r:
                continue
            self.buf += os.read(self.master, 65536)
            while True:
                s = self.buf.find(DELIM)
                if s < 0:
                    break
                e = self.buf.find(DELIM, s + 3)
                if e < 0:
                    break
                body, self.buf = self.buf[s + 3:e], self.buf[e + 3:]
                with_crc = False
                if len(body) > 8 and body[-9:-8] == b"}":
                    want = int(body[-8:], 16)
                    body = body[:-8]
                    if zlib.crc32(body) != want:
                        continue
                    with_crc = True
                self.handle(json.loads(body), with_crc)


class CliAgainstFakeBoard(unittest.TestCase):
    def setUp(self):
        self.board = FakeBoard()
        self.addCleanup(self.board.close)

    def mos(self, *args, check=True, timeout=20):
        p = subprocess.run([MOS, "--port", self.board.path, *args], capture_output=True, text=True, errors="replace",
                           timeout=timeout)
        if check and p.returncode != 0:
            self.fail(f"mos {' '.join(args)} failed ({p.returncode}): {p.stdout}{p.stderr}")
        return p

    def test_call_prints_result(self):
        p = self.mos("call", "Config.Get", '{"key":"mqtt.sub"}')
        self.assertEqual(json.loads(p.stdout), "/request")

    def test_config_get_key(self):
        p = self.mos("config-get", "device.id")
        self.assertEqual(json.loads(p.stdout), "esp8266_ABCDEF")

    def test_config_set_uses_the_boards_types(self):
        self.mos("config-set", "mqtt.enable=true", "mqtt.keep_alive=30", "mqtt.server=localhost:8883")
        self.assertIs(self.board.config["mqtt"]["enable"], True)
        self.assertEqual(self.board.config["mqtt"]["keep_alive"], 30)
        self.assertEqual(self.board.config["mqtt"]["server"], "localhost:8883")
        self.assertEqual(self.board.saved, {"reboot": True})

    def test_config_set_no_reboot(self):
        self.mos("config-set", "wifi.sta.ssid=Home", "--no-reboot")
        self.assertEqual(self.board.saved, {"reboot": False})

    def test_config_set_rejects_unknown_key_and_bad_type(self):
        p = self.mos("config-set", "mqtt.nope=1", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("no config key mqtt.nope", p.stderr)
        p = self.mos("config-set", "mqtt.keep_alive=soon", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("mqtt.keep_alive is an integer", p.stderr)
        self.assertIsNone(self.board.saved)

    def test_put_get_ls_rm_roundtrip_in_chunks(self):
        data = os.urandom(5000)  # five FS.Put frames of 1 KB
        src = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"mos-put-{os.getpid()}.bin")
        with open(src, "wb") as f:
            f.write(data)
        self.addCleanup(os.unlink, src)
        self.mos("put", src, "blob.bin")
        self.assertEqual(self.board.files["blob.bin"], data)
        puts = [a for m, a in self.board.calls if m == "FS.Put"]
        self.assertEqual(len(puts), 5)
        self.assertEqual([a["append"] for a in puts], [False, True, True, True, True])
        out = subprocess.run([MOS, "--port", self.board.path, "get", "blob.bin"], capture_output=True,
                             timeout=20)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertEqual(out.stdout, data)
        self.assertIn("blob.bin", self.mos("ls").stdout.split())
        self.assertIn("5000 blob.bin", " ".join(self.mos("ls", "-l").stdout.split()))
        self.mos("rm", "blob.bin")
        self.assertNotIn("blob.bin", self.board.files)

    def test_error_reply_is_reported(self):
        p = self.mos("get", "missing.pem", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("no such file: missing.pem", p.stderr)

    def test_console_until_and_timeout(self):
        def talk():
            time.sleep(0.3)
            self.board.send(b"\x00\xff garbage \"\"\" not a frame\n[00:00:02.000] mqtt: connected\n")
        threading.Thread(target=talk).start()
        p = self.mos("--timeout", "5", "console", "--until", "mqtt: connected")
        self.assertIn("mqtt: connected", p.stdout)
        p = self.mos("--timeout", "0.5", "console", "--until", "never printed", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("no line matching", p.stderr)

    def test_no_answer_times_out_clearly(self):
        self.board.stop = True
        self.board.thread.join()
        p = self.mos("--timeout", "0.5", "call", "RPC.Ping", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(f"no answer to RPC.Ping from {self.board.path} in 0.5 s", p.stderr)
        self.board.stop = False
        self.board.thread = threading.Thread(target=lambda: None)
        self.board.thread.start()


if __name__ == "__main__":
    MOS = sys.argv.pop(1)
    unittest.main()
