"""End to end: a virtual board started with `mos sim start`, talked to over its
pseudo-terminal with raw RPC frames (the Mongoose OS UART framing), observed
with `mos sim gpio` and its console log.

Usage: test_board_e2e.py MOS_BINARY BOARD_BINARY
"""
from __future__ import annotations

import json
import os
import re
import select
import subprocess
import sys
import tempfile
import time
import unittest
import zlib
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[4] / "testing"))
import mostest  # noqa: E402

MOS = os.environ.get("MOS_BIN", "")
BOARD = os.environ.get("MOS_SIM_TEST_BOARD", "")


def frame(obj: dict, crc: bool = True) -> bytes:
    """One request line: \"\"\"json[crc32 hex]\"\"\" (ARCHITECTURE.md "RPC")."""
    js = json.dumps(obj)
    suffix = "%08x" % zlib.crc32(js.encode()) if crc else ""
    return ('"""' + js + suffix + '"""\n').encode()


class Pty:
    """The board's UART0 as a terminal program sees it."""

    def __init__(self, path: str):
        self.fd = os.open(path, os.O_RDWR | os.O_NOCTTY | os.O_NONBLOCK)
        self.buf = b""
        self.next_id = 100

    def close(self):
        os.close(self.fd)

    def write(self, data: bytes, timeout: float = 5.0):
        """All of data, as fast as the board reads it (a full line blocks)."""
        deadline = time.monotonic() + timeout
        while data:
            try:
                data = data[os.write(self.fd, data):]
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise AssertionError("the board stopped reading its UART")
                self.pump(0.01)

    def pump(self, timeout: float):
        r, _, _ = select.select([self.fd], [], [], timeout)
        if r:
            try:
                self.buf += os.read(self.fd, 65536)
            except BlockingIOError:
                pass

    def lines(self) -> list[str]:
        return self.buf.decode(errors="replace").split("\n")

    def call(self, method: str, params: dict | None = None, crc: bool = True, timeout: float = 5.0):
        """Returns (reply dict, raw reply line)."""
        self.next_id += 1
        rid = self.next_id
        req = {"id": rid, "method": method}
        if params is not None:
            req["params"] = params
        self.write(frame(req, crc))
        deadline = time.monotonic() + timeout
        rx = re.compile(r'"""(\{.*\})([0-9a-f]{8})?"""')
        while time.monotonic() < deadline:
            self.pump(0.05)
            for line in self.lines():
                m = rx.search(line)
                if not m:
                    continue
                try:
                    reply = json.loads(m.group(1))
                except ValueError:
                    continue
                if reply.get("id") == rid:
                    return reply, line
        raise AssertionError(f"no reply to {method} within {timeout}s; UART said:\n"
                             + self.buf.decode(errors='replace')[-2000:])


class BoardTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.env = dict(os.environ, MOS_SIM_DIR=str(Path(self.tmp.name) / "sim"))
        self.started: list[str] = []

    def tearDown(self):
        for name in self.started:
            self.mos("sim", "stop", name, check=False)
        self.tmp.cleanup()

    def mos(self, *args, check=True) -> subprocess.CompletedProcess:
        p = subprocess.run([MOS, *map(str, args)], capture_output=True, text=True, env=self.env,
                           timeout=60)
        if check and p.returncode != 0:
            raise AssertionError(f"mos {' '.join(map(str, args))} failed ({p.returncode}):\n"
                                 f"{p.stdout}{p.stderr}")
        return p

    def start(self, name: str, *extra) -> str:
        p = self.mos("sim", "start", "--name", name, "--firmware", BOARD, *extra)
        self.started.append(name)
        m = re.search(r"(/dev/pts/\d+)", p.stdout)
        self.assertIsNotNone(m, p.stdout)
        return m.group(1)

    def board_dir(self, name: str) -> Path:
        return Path(self.env["MOS_SIM_DIR"]) / name

    def console_log(self, name: str) -> str:
        return (self.board_dir(name) / "console.log").read_text(errors="replace")

    def wait_log(self, name: str, pattern: str, timeout: float = 10) -> str:
        rx = re.compile(pattern)
        try:
            return mostest.wait_until(lambda: (m := rx.search(self.console_log(name))) and m.group(0),
                                      timeout=timeout, what=f"/{pattern}/ in the console log")
        except TimeoutError:
            raise AssertionError(f"/{pattern}/ not logged; log:\n{self.console_log(name)[-2000:]}")

    def test_rpc_gpio_and_garbage_on_the_uart(self):
        path = self.start("e2e1")
        info = json.loads((self.board_dir("e2e1") / "board.json").read_text())
        pty = Pty(path)
        try:
            # A request with a CRC gets a reply with a valid CRC.
            reply, line = pty.call("RPC.Ping")
            self.assertEqual(reply["result"], {"channel_info": "UART0"})
            m = re.search(r'"""(\{.*\})([0-9a-f]{8})"""', line)
            self.assertIsNotNone(m, line)
            self.assertEqual(int(m.group(2), 16), zlib.crc32(m.group(1).encode()))
            # Without a CRC, the reply has none.
            reply, line = pty.call("Sys.GetInfo", crc=False)
            self.assertRegex(line, r'\}"""')
            r = reply["result"]
            self.assertEqual(r["arch"], "sim")
            self.assertEqual(r["mac"], info["mac"].replace(":", "").upper())
            # device.id is the firmware's (esp8266_ + the MAC's last 3 bytes), not the chip's.
            self.assertEqual(reply["src"], "esp8266_" + r["mac"][-6:])
            self.assertEqual(r["wifi"]["status"], "disconnected")
            self.assertGreater(r["fs_size"], 0)

            # The LED: GPIO2 LOW = on, seen from outside the firmware.
            self.assertIn("LED off", self.mos("sim", "gpio", "e2e1", 2).stdout)
            reply, _ = pty.call("GPIO.Write", {"pin": 2, "value": 0})
            self.assertEqual(reply["result"], {"value": 0})
            out = self.mos("sim", "gpio", "e2e1", 2).stdout.strip()
            self.assertTrue(out.endswith(": 0") and "LED on" in out, out)
            self.wait_log("e2e1", r"\[\w{3} \d\d \d\d:\d\d:\d\d\.\d{3}\] I GPIO2 -> LOW \(LED on\)")
            gpio_json = json.loads((self.board_dir("e2e1") / "gpio.json").read_text())
            self.assertEqual(gpio_json["led"], "on")
            reply, _ = pty.call("GPIO.Toggle", {"pin": 2})
            self.assertEqual(reply["result"], {"value": 1})
            self.assertTrue(self.mos("sim", "gpio", "e2e1", 2).stdout.strip().endswith(": 1"))
            reply, _ = pty.call("GPIO.Write", {"pin": 7, "value": 1})
            self.assertEqual(reply["error"]["code"], 400)

            # Garbage: binary noise, broken frames, a bad CRC, an over-long
            # line. The board ignores it and keeps answering and logging.
            pty.write(bytes(range(256)) + b"\n")
            pty.write(b'"""{"id":1,"method":"RPC.Ping"}deadbeef"""\n')
            pty.write(b'"""{"id":2,"meth\n"""\n{{{{[[[\x00\n')
            pty.write(b"x" * 20000 + b"\n")
            reply, _ = pty.call("RPC.Ping")
            self.assertIn("result", reply)
            self.assertNotIn('"id":1,', pty.buf.decode(errors="replace"))  # bad CRC: no reply
            reply, _ = pty.call("GPIO.Write", {"pin": 2, "value": 0})
            self.wait_log("e2e1", r"GPIO2 -> LOW")
        finally:
            pty.close()

    def test_button_press_from_outside(self):
        self.start("e2e2")
        self.assertTrue(self.mos("sim", "gpio", "e2e2", 0).stdout.strip().endswith(": 1"))
        self.mos("sim", "press", "e2e2", 0, "--ms", 800)
        out = self.mos("sim", "gpio", "e2e2", 0).stdout
        self.assertIn("held low from outside", out)
        self.assertTrue(out.strip().endswith(": 0"), out)
        mostest.wait_until(lambda: self.mos("sim", "gpio", "e2e2", 0).stdout.strip().endswith(": 1"),
                           timeout=5, what="button released")
        self.wait_log("e2e2", r"GPIO0 -> LOW \(FLASH button down\)")
        p = self.mos("sim", "press", "e2e2", 9, check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("flash", p.stderr)
        p = self.mos("sim", "press", "nosuch", 0, check=False)
        self.assertIn("mos sim list", p.stderr)
        p = self.mos("sim", "start", "--name", "e2e2b", "--ap", "Lab:short", check=False)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("8 to 63", p.stderr)
        p = self.mos("sim", "start", "--name", "e2e2", check=False)
        self.assertIn("already running", p.stderr)

    def test_picocom_shows_the_console(self):
        """A terminal program on the port sees the log as it happens."""
        path = self.start("e2e4")
        out = Path(self.tmp.name) / "picocom.out"
        # picocom wants a terminal on stdin: script(1) gives it one.
        with open(out, "wb") as f:
            proc = subprocess.Popen(["script", "-qfc", f"picocom -q -b 115200 --exit-after 3000 {path}",
                                     "/dev/null"], stdin=subprocess.PIPE, stdout=f,
                                    stderr=subprocess.STDOUT)
            try:
                time.sleep(0.8)  # picocom opens the port
                self.mos("sim", "press", "e2e4", 0, "--ms", 100)
                mostest.wait_until(lambda: b"GPIO0 -> HIGH (FLASH button up)" in out.read_bytes(),
                                   timeout=5, what="the button lines in picocom")
            finally:
                proc.stdin.close()
                proc.terminate()
                proc.wait(timeout=5)
        text = out.read_bytes().decode(errors="replace")
        self.assertRegex(text, r"\[\w{3} \d\d \d\d:\d\d:\d\d\.\d{3}\] I GPIO0 -> LOW \(FLASH button down\)")
        # Output from before picocom opened the port is not replayed to it.
        self.assertNotIn("mos sim board", text)

    def test_reboot_keeps_the_port_and_flash_survives_restart(self):
        path = self.start("e2e3", "--ap", "mos-lab:right-password")
        pty = Pty(path)
        try:
            if "Config.Set" not in pty.call("RPC.List")[0]["result"]:
                self.fail("the board has no Config.Set: the config service is not linked")
            reply, _ = pty.call("Config.Set", {"config": {"wifi": {"sta": {
                "enable": True, "ssid": "mos-lab", "pass": "wrong-password"}}}})
            self.assertNotIn("error", reply)
            reply, _ = pty.call("Config.Save", {"reboot": True})
            self.assertNotIn("error", reply)
            # Same port after the reboot; wrong password logged and retried.
            self.wait_log("e2e3", r"boot #1, reset reason: software reboot")
            self.wait_log("e2e3", r"WiFi STA: auth failed: mos-lab")
            self.wait_log("e2e3", r"auth failed, retrying in 2000 ms", timeout=10)
            reply, _ = pty.call("Sys.GetInfo")
            self.assertEqual(reply["result"]["wifi"]["status"], "connecting")
            self.assertEqual(reply["result"]["wifi"]["ip"], "")
        finally:
            pty.close()

        # Stop (power off) and start again: the config is still in flash.
        self.mos("sim", "stop", "e2e3")
        self.assertIn("stopped", self.mos("sim", "list").stdout)
        path = self.start("e2e3", "--flash-sync", "every-write")  # keeps its access points
        pty = Pty(path)
        try:
            reply, _ = pty.call("Config.Get", {"key": "wifi.sta.pass"})
            self.assertEqual(reply["result"], "wrong-password")
            pty.call("Config.Set", {"config": {"wifi": {"sta": {"pass": "right-password"}}}})
            pty.call("Config.Save", {"reboot": True})
            self.wait_log("e2e3", r"WiFi STA: got IP 127\.0\.0\.1")
            reply = mostest.wait_until(
                lambda: (r := pty.call("Sys.GetInfo")[0]["result"])["wifi"]["status"] == "got ip" and r,
                timeout=10, what="got ip in Sys.GetInfo")
            self.assertEqual(reply["wifi"]["ssid"], "mos-lab")
            self.assertEqual(reply["wifi"]["ip"], "127.0.0.1")
        finally:
            pty.close()

    def test_secrets_are_owner_only(self):
        """The flash holds keys and Wi-Fi passwords; board.json the access points."""
        self.start("e2emode", "--ap", "mode-net:correct horse")
        d = self.board_dir("e2emode")
        self.assertEqual(os.stat(d).st_mode & 0o777, 0o700)
        for f in ("flash.bin", "board.json"):
            self.assertEqual(os.stat(d / f).st_mode & 0o777, 0o600, f)

    def test_firmware_for_a_newer_rom_api_is_refused(self):
        """An image built against ROM API 1.99 on a 1.0 board: the ROM says so."""
        img = bytearray(Path(BOARD).read_bytes())
        img[8:10] = (99).to_bytes(2, "little")  # API minor (mos/sim/fw_image.h)
        img[60:64] = zlib.crc32(bytes(img[:60])).to_bytes(4, "little")
        newer = Path(self.tmp.name) / "newer.bin"
        newer.write_bytes(bytes(img))
        p = self.mos("sim", "start", "--name", "e2eapi", "--firmware", newer)
        self.started.append("e2eapi")
        self.wait_log("e2eapi", r"needs ROM API 1\.99, this board has 1\.\d+ .*; waiting for download")


if __name__ == "__main__":
    if len(sys.argv) >= 3:
        MOS, BOARD = sys.argv[1], sys.argv[2]
        del sys.argv[1:3]
    unittest.main(verbosity=2)
