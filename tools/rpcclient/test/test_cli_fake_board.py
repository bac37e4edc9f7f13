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
import shutil
import socket
import stat
import subprocess
import sys
import tempfile
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
        self.raw = b""  # everything the host wrote, frames and typed lines
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
            data = os.read(self.master, 65536)
            self.raw += data
            self.buf += data
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
        self.board.files["a.txt"] = b"x"
        # "name size", sorted by name, as Mongoose OS's mos ls -l.
        self.assertEqual(self.mos("ls", "-l").stdout.splitlines(), ["a.txt 1", "blob.bin 5000", "conf0.json 2"])
        self.assertEqual(self.mos("ls").stdout.splitlines(), ["a.txt", "blob.bin", "conf0.json"])
        self.mos("rm", "blob.bin")
        self.assertNotIn("blob.bin", self.board.files)

    def test_error_reply_is_reported(self):
        p = self.mos("get", "missing.pem", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("Error: device: no such file: missing.pem (code -1", p.stderr)
        p = self.mos("call", "Nope.Nothing", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertTrue(p.stderr.startswith("Error: device: No handler for Nope.Nothing (code 404"), p.stderr)

    def test_call_accepts_relaxed_json(self):
        p = self.mos("call", "Config.Get", '{key: "mqtt.sub"}')
        self.assertEqual(json.loads(p.stdout), "/request")
        self.assertEqual(self.board.calls[-1], ("Config.Get", {"key": "mqtt.sub"}))
        p = self.mos("call", "Config.Get", "{key: }", check=False)
        self.assertEqual(p.returncode, 2)
        self.assertRegex(p.stderr, r"^Error: call: the arguments are not JSON \(malformed JSON\): \{key: \}\n  -> ")

    def test_config_set_says_what_it_does(self):
        p = self.mos("config-set", "mqtt.enable=true")
        self.assertEqual(p.stderr.splitlines()[:3],
                         ["Getting configuration...", "Setting new configuration...", "Saving and rebooting..."])

    def test_wifi_as_mongoose_os_mos(self):
        self.board.config["wifi"]["ap"] = {"enable": True, "ssid": "Mongoose_ABCDEF", "pass": "Mongoose"}
        p = self.mos("wifi", "Home Net", "s3cret pass")
        self.assertEqual(p.stderr.splitlines(),
                         ["Getting configuration...", "Setting new configuration...", "Saving and rebooting..."])
        self.assertEqual(self.board.config["wifi"]["sta"], {"enable": True, "ssid": "Home Net", "pass": "s3cret pass"})
        self.assertIs(self.board.config["wifi"]["ap"]["enable"], False)
        self.assertEqual([m for m, _ in self.board.calls], ["Config.Get", "Config.Set", "Config.Save"])
        self.assertEqual(self.board.saved, {"reboot": True})

    def test_console_sends_typed_lines(self):
        typed = 'hello board\n"""{"id":7,"method":"Config.Get","args":{"key":"device.id"}}"""\n'
        p = subprocess.run([MOS, "--port", self.board.path, "--timeout", "5", "console", "--until", '"id": 7'],
                           input=typed, capture_output=True, text=True, timeout=20)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn('"""{"id": 7, "src": "esp8266_ABCDEF", "dst": "", "result": "esp8266_ABCDEF"}"""', p.stdout)
        self.assertIn(b"hello board\n", self.board.raw)

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


    def test_console_on_a_terminal_is_canonical_and_ctrl_c_restores_it(self):
        import signal
        import termios
        master, slave = pty.openpty()
        self.addCleanup(os.close, master)
        self.addCleanup(os.close, slave)
        raw = termios.tcgetattr(slave)
        raw[3] &= ~(termios.ICANON | termios.ECHO)  # as a terminal left raw by another program
        termios.tcsetattr(slave, termios.TCSANOW, raw)
        before = termios.tcgetattr(slave)
        p = subprocess.Popen([MOS, "--port", self.board.path, "console"], stdin=slave, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        try:
            deadline = time.monotonic() + 5
            while not termios.tcgetattr(slave)[3] & termios.ICANON and time.monotonic() < deadline:
                time.sleep(0.02)
            self.assertTrue(termios.tcgetattr(slave)[3] & termios.ICANON, "line editing on while it runs")
            os.write(master, b"typed by hand\n")
            while b"typed by hand\n" not in self.board.raw and time.monotonic() < deadline:
                time.sleep(0.02)
            self.assertIn(b"typed by hand\n", self.board.raw)
            p.send_signal(signal.SIGINT)
            out, err = p.communicate(timeout=5)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
        self.assertEqual(p.returncode, 0, err)
        self.assertEqual(termios.tcgetattr(slave), before, "the terminal is as it was")


class CliWithoutBoard(unittest.TestCase):
    """The command line itself: unknown commands, help, error style, exit codes."""

    def setUp(self):
        self.tmp = tempfile.mkdtemp(prefix="mos-cli-")
        self.addCleanup(shutil.rmtree, self.tmp)
        # A private state dir: nothing here reads or writes the user's registry.
        self.env = dict(os.environ, XDG_STATE_HOME=os.path.join(self.tmp, "state"), MOS_PORT="/nonexistent/port")
        self.env.pop("MOS_SIM_DIR", None)

    def mos(self, *args, cwd=None, env=None):
        return subprocess.run([MOS, *args], capture_output=True, text=True, timeout=30, cwd=cwd or self.tmp,
                              env=env or self.env)

    def assertUserError(self, p, code, first_line_re):
        self.assertEqual(p.returncode, code, p.stdout + p.stderr)
        lines = p.stderr.splitlines()
        self.assertTrue(lines, p.stdout)
        self.assertRegex(lines[0], "^Error: " + first_line_re)
        self.assertTrue(any(l.startswith("  -> ") for l in lines[1:]), p.stderr)

    def test_unknown_command_suggests_the_nearest(self):
        p = self.mos("confg-get")
        self.assertUserError(p, 2, 'unknown command "confg-get"; did you mean "config-get"\\?$')
        self.assertIn("  -> mos --help lists the commands", p.stderr)
        p = self.mos("--port", "/x", "sim", "strat")
        self.assertUserError(p, 2, 'unknown command "strat"; did you mean "start"\\?$')
        self.assertIn("  -> mos sim --help lists the commands", p.stderr)
        p = self.mos("xyzzy")
        self.assertUserError(p, 2, 'unknown command "xyzzy"$')

    def test_no_command_prints_help_and_fails(self):
        p = self.mos()
        self.assertEqual(p.returncode, 2)
        self.assertIn("Usage:", p.stderr)
        self.assertIn("config-set", p.stderr)
        self.assertIn("Error: mos needs a command", p.stderr)
        p = self.mos("cloud")
        self.assertEqual(p.returncode, 2)
        self.assertIn("status", p.stderr)

    def test_subcommand_help_is_its_own(self):
        p = self.mos("ls", "--help")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("show sizes", p.stdout)
        self.assertNotIn("config-set", p.stdout)
        p = self.mos("sim", "start", "--help")
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn("--flash-size", p.stdout)
        p = self.mos("--help")
        self.assertEqual(p.returncode, 0)
        self.assertIn("Exit codes: 0 success; 1 the command failed", p.stdout)
        self.assertIn("2 usage error", p.stdout)

    def test_argument_errors_look_like_runtime_errors(self):
        p = self.mos("ls", "/")
        self.assertUserError(p, 2, "The following argument was not expected: /$")
        self.assertIn("  -> see `mos ls --help`", p.stderr)
        p = self.mos("call")
        self.assertUserError(p, 2, "method is required")
        p = self.mos("sim", "press", "b", "0", "--ms", "0")
        self.assertUserError(p, 2, "--ms")
        p = self.mos("put", os.path.join(self.tmp, "missing.bin"))
        self.assertUserError(p, 1, "put: cannot read .*missing.bin$")
        p = self.mos("config-set", "novalue", env=dict(self.env, MOS_PORT="/dev/null"))
        self.assertNotEqual(p.returncode, 0)

    def test_version(self):
        a, b = self.mos("version"), self.mos("--version")
        self.assertEqual((a.returncode, b.returncode), (0, 0))
        self.assertEqual(a.stdout, b.stdout)
        self.assertRegex(a.stdout, r"^mos \d+\.\d+\.\d+\n$")

    def free_port(self):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            return s.getsockname()[1]

    def test_no_shell_anywhere(self):
        """Shell metacharacters in every path option create nothing."""
        pwned = os.path.join(self.tmp, "PWNED")
        evil = "x'; touch " + pwned + "; '$(touch " + pwned + ")`touch " + pwned + "`"
        env = dict(self.env, MOS_CLOUD_BIN="/bin/false")
        self.mos("cloud", "up", "--data-dir", os.path.join(self.tmp, evil), "--http-port", str(self.free_port()),
                 "--https-port", "0", "--mqtt-port", str(self.free_port()), "--no-plugin", env=env)
        self.mos("cloud", "status", "--data-dir", os.path.join(self.tmp, evil))
        self.mos("cloud", "down", "--data-dir", os.path.join(self.tmp, evil))
        self.mos("sim", "--dir", os.path.join(self.tmp, evil), "start", "--name", "b", "--firmware", "/bin/false")
        self.mos("sim", "start", "--dir", os.path.join(self.tmp, evil), "--name", "b; touch " + pwned,
                 "--firmware", "/bin/true")
        self.mos("sim", "--dir", os.path.join(self.tmp, evil), "list")
        self.mos("put", os.path.join(self.tmp, evil))
        self.mos("get", evil, "-o", os.path.join(self.tmp, evil))
        self.assertFalse(os.path.exists(pwned))
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "touch")))

    def test_cloud_up_reports_a_failed_init_through_the_spawn_helper(self):
        d = os.path.join(self.tmp, "cloud dir")
        p = self.mos("cloud", "up", "--data-dir", d, "--http-port", str(self.free_port()), "--https-port", "0",
                     "--mqtt-port", str(self.free_port()), "--no-plugin", env=dict(self.env, MOS_CLOUD_BIN="/bin/false"))
        self.assertUserError(p, 1, "mos-cloud init failed")
        self.assertEqual(stat.S_IMODE(os.stat(d).st_mode), 0o700)

    def test_cloud_hints_carry_the_data_dir(self):
        d = os.path.join(self.tmp, "my cloud")
        os.makedirs(d)
        with open(os.path.join(d, "cloud.json"), "w") as f:
            f.write('{"http_port": 1, "mqtt_port": 2, "plugin": ""}\n')
        p = self.mos("cloud", "status", "--data-dir", d)
        self.assertUserError(p, 1, "the local cloud is not \\(fully\\) running")
        self.assertIn(f"restart it: mos cloud down --data-dir '{d}' && mos cloud up --data-dir '{d}'", p.stderr)

    def test_clouds_are_found_from_any_directory(self):
        elsewhere = os.path.join(self.tmp, "elsewhere")
        os.makedirs(elsewhere)
        p = self.mos("cloud", "status", cwd=elsewhere)
        registry = os.path.join(self.tmp, "state", "mos", "registry.json")
        self.assertUserError(p, 1, "no local cloud found: none in " + os.path.join(elsewhere, ".mos/cloud") +
                             " nor recorded in " + registry)
        d = os.path.join(self.tmp, "cloud")
        os.makedirs(d)
        with open(os.path.join(d, "cloud.json"), "w") as f:
            f.write('{"http_port": 1, "mqtt_port": 2, "plugin": ""}\n')
        os.makedirs(os.path.dirname(registry))
        with open(registry, "w") as f:
            json.dump({"boards": {}, "clouds": [d]}, f)
        p = self.mos("cloud", "status", cwd=elsewhere)
        self.assertIn("data dir         " + d, p.stdout)
        self.assertIn(f"mos cloud down --data-dir {d}", p.stderr)
        p = self.mos("cloud", "down", cwd=elsewhere)
        self.assertEqual(p.returncode, 0, p.stderr)
        self.assertIn(f"The local cloud in {d} was not running", p.stdout)


if __name__ == "__main__":
    MOS = sys.argv.pop(1)
    unittest.main()
