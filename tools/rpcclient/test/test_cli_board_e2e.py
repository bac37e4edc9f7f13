"""`mos` against real virtual boards: the per-user registry (boards found from
any directory), `mos wifi`, two-way `mos console` and the device's answers to
requests it cannot parse.

Usage: test_cli_board_e2e.py MOS_BINARY BOARD_BINARY
"""
from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tempfile
import time
import unittest
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "testing"))
import mostest  # noqa: E402

MOS = ""
BOARD = ""


class CliBoardTest(unittest.TestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="mos-cli-e2e-"))
        self.addCleanup(shutil.rmtree, self.tmp, ignore_errors=True)
        # No MOS_SIM_DIR: the registry in this private XDG state dir is in use.
        self.env = dict(os.environ, XDG_STATE_HOME=str(self.tmp / "state"))
        self.env.pop("MOS_SIM_DIR", None)
        self.env.pop("MOS_PORT", None)
        self.boards = self.tmp / "project" / "boards"
        self.elsewhere = self.tmp / "elsewhere"
        self.elsewhere.mkdir()
        self.started: list[str] = []
        self.addCleanup(self.stop_all)

    def stop_all(self):
        for name in self.started:
            self.mos("sim", "stop", name, check=False)

    def mos(self, *args, check=True, cwd=None, input=None, timeout=60) -> subprocess.CompletedProcess:
        p = subprocess.run([MOS, *map(str, args)], capture_output=True, text=True, env=self.env,
                           cwd=cwd or self.elsewhere, input=input, timeout=timeout)
        if check and p.returncode != 0:
            raise AssertionError(f"mos {' '.join(map(str, args))} failed ({p.returncode}):\n{p.stdout}{p.stderr}")
        return p

    def start(self, name: str, *extra) -> str:
        p = self.mos("sim", "start", "--dir", self.boards, "--name", name, "--firmware", BOARD, *extra,
                     cwd=self.tmp)
        self.started.append(name)
        m = re.search(r"(/dev/pts/\d+)", p.stdout)
        self.assertIsNotNone(m, p.stdout)
        return m.group(1)

    def test_boards_are_found_from_any_directory(self):
        pty = self.start("reg1")
        state = self.tmp / "state" / "mos"
        self.assertEqual(stat.S_IMODE(state.stat().st_mode), 0o700)
        self.assertEqual(stat.S_IMODE((self.boards / "reg1").stat().st_mode), 0o700)
        registry = json.loads((state / "registry.json").read_text())
        self.assertEqual(registry["boards"]["reg1"], str(self.boards / "reg1"))
        # From a directory that has no .mos at all:
        self.assertRegex(self.mos("sim", "list").stdout, r"reg1\s+running\s+\d+\s+" + re.escape(pty))
        self.assertIn(pty + "\tvirtual board reg1", self.mos("ports").stdout)
        r = json.loads(self.mos("--port", "auto", "call", "Config.Get", "{key: \"device.id\"}").stdout)
        self.assertTrue(r.startswith("esp8266_"), r)
        self.assertIn("GPIO2", self.mos("sim", "gpio", "reg1", "2").stdout)
        self.mos("sim", "press", "reg1", "0", "--ms", "50")
        self.assertIn("board reg1 stopped", self.mos("sim", "stop", "reg1").stdout)
        self.started.remove("reg1")
        self.assertRegex(self.mos("sim", "list").stdout, r"reg1\s+stopped")
        # Names are per user: the same name cannot run twice from two places.
        self.start("reg1")
        p = self.mos("sim", "start", "--dir", self.tmp / "other", "--name", "reg1", "--firmware", BOARD, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("board reg1 is already running", p.stderr)

    def test_nothing_found_says_where_it_looked(self):
        p = self.mos("sim", "list")
        self.assertIn("looked in " + str(self.elsewhere / ".mos/sim") + " and the boards recorded in " +
                      str(self.tmp / "state/mos/registry.json"), p.stdout)
        self.assertIn("no serial ports (looked at /dev/ttyUSB*, /dev/ttyACM* and the running virtual boards in " +
                      str(self.elsewhere / ".mos/sim"), self.mos("ports").stdout)
        p = self.mos("sim", "stop", "ghost", check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("no board named ghost (looked in", p.stderr)

    def test_wifi_joins_after_the_reboot(self):
        pty = self.start("wifi1", "--ap", "mos-lab:right-password")
        p = self.mos("--port", pty, "wifi", "mos-lab", "right-password")
        self.assertEqual(p.stderr.splitlines(),
                         ["Getting configuration...", "Setting new configuration...", "Saving and rebooting..."])

        def joined():
            p = self.mos("--port", pty, "--timeout", "2", "call", "Sys.GetInfo", check=False)
            if p.returncode != 0:
                return False  # rebooting
            info = json.loads(p.stdout)
            return info["wifi"]["status"] == "got ip" and info

        info = mostest.wait_until(joined, timeout=20, what="got ip in Sys.GetInfo")
        self.assertEqual(info["wifi"]["ssid"], "mos-lab")
        conf = json.loads(self.mos("--port", pty, "config-get", "wifi").stdout)
        self.assertEqual(conf["sta"], {"enable": True, "ssid": "mos-lab", "pass": "right-password"})
        self.assertIs(conf["ap"]["enable"], False)

    def test_console_passes_typed_lines_to_the_board(self):
        pty = self.start("con1")
        typed = 'hello from the keyboard\n"""{"id":4242,"method":"Config.Get","args":{"key":"device.id"}}"""\n'
        p = self.mos("--port", pty, "--timeout", "10", "console", "--until", '"id":4242', input=typed)
        self.assertRegex(p.stdout, r'"""\{"id":4242,"src":"esp8266_\w+","result":"esp8266_\w+"\}"""')
        log = (self.boards / "con1" / "console.log").read_text(errors="replace")
        # The blank firmware's app registered a line handler (mos/app.h on_uart_line).
        self.assertIn('blank app: you typed "hello from the keyboard"', log)

    def test_requests_the_device_cannot_parse_are_answered(self):
        pty = self.start("bad1")
        deep = "{a:" * 40 + "1" + "}" * 40
        t0 = time.monotonic()
        p = self.mos("--port", pty, "call", "RPC.Ping", deep, check=False)
        self.assertEqual(p.returncode, 1)
        self.assertIn("Error: device: request nested deeper than", p.stderr)
        self.assertLess(time.monotonic() - t0, 4, "answered, not timed out")


if __name__ == "__main__":
    MOS, BOARD = sys.argv.pop(1), sys.argv.pop(1)
    unittest.main()
