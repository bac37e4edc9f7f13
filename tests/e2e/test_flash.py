"""mos build, mos flash and the virtual chip's ROM, end to end through the CLI.

A copy of apps/c_mqtt outside the repository is built with `mos build --arch
sim`; blank boards started with `mos sim start` wait in their ROM loader, and
`mos flash` writes the bundle over the board's serial port with Espressif's
protocol (reset by the modem lines, SYNC, stub, baud change, per-sector MD5
dedupe, compressed writes, verify, boot)."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
import zipfile
from pathlib import Path

import board as boardlib
import mostest

MOS = boardlib.MOS
REPO = boardlib.REPO


def run(args, cwd=None, env=None, timeout=600, check=True):
    p = subprocess.run([MOS, *map(str, args)], cwd=cwd, env=env, capture_output=True, text=True,
                       errors="replace", timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError(f"mos {' '.join(map(str, args))} failed ({p.returncode}):\n{p.stdout}{p.stderr}")
    return p


def ctl(board_dir: Path, line: str) -> str:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(5)
        s.connect(str(board_dir / "ctl.sock"))
        s.sendall(line.encode() + b"\n")
        return s.recv(4096).decode().strip()


class FlashTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = Path(tempfile.mkdtemp(prefix="mos-flash-e2e-"))
        cls.app = cls.tmp / "my_app"
        shutil.copytree(REPO / "apps" / "c_mqtt", cls.app, ignore=shutil.ignore_patterns("test", "build"))
        cls.env = dict(os.environ, MOS_SIM_DIR=str(cls.tmp / "sim"), XDG_STATE_HOME=str(cls.tmp / "state"))
        p = run(["build", "--arch", "sim"], cwd=cls.app, env=cls.env, timeout=1200)
        cls.build_out = p.stdout + p.stderr
        cls.bundle = cls.app / "build" / "fw.zip"

    @classmethod
    def tearDownClass(cls):
        subprocess.run([MOS, "sim", "stop", "--all"], env=cls.env, capture_output=True)
        for d in (cls.tmp / "sim").glob("*"):
            subprocess.run([MOS, "sim", "stop", d.name], env=cls.env, capture_output=True)
        shutil.rmtree(cls.tmp, ignore_errors=True)

    # ---- helpers ----
    def start_board(self, name, *extra):
        p = run(["sim", "start", "--name", name, "--ap", "flash-ap:correct horse", *extra], env=self.env)
        m = re.search(r"(/dev/pts/\d+)", p.stdout + p.stderr)
        self.assertIsNotNone(m, p.stdout + p.stderr)
        self.addCleanup(lambda: run(["sim", "stop", name], env=self.env, check=False))
        return m.group(1), self.tmp / "sim" / name

    def console(self, board_dir: Path) -> str:
        return (board_dir / "console.log").read_text(errors="replace")

    def wait_console(self, board_dir: Path, pattern: str, timeout=20):
        rx = re.compile(pattern)
        try:
            return mostest.wait_until(lambda: rx.search(self.console(board_dir)), timeout=timeout,
                                      what=f"/{pattern}/ in {board_dir}/console.log")
        except Exception:
            raise AssertionError(f"/{pattern}/ not on the console:\n{self.console(board_dir)[-3000:]}")

    def flash(self, port, *extra, bundle=None, check=True, timeout=300):
        return run(["--port", port, "flash", str(bundle or self.bundle), *extra], env=self.env,
                   check=check, timeout=timeout)

    def info(self, port):
        mostest.wait_until(lambda: run(["--port", port, "--timeout", "1", "call", "RPC.Ping"],
                                       env=self.env, check=False).returncode == 0,
                           timeout=20, what="the firmware answering RPC")
        return json.loads(run(["--port", port, "call", "Sys.GetInfo"], env=self.env).stdout)

    @staticmethod
    def sectors(out: str):
        m = re.search(r"(\d+) of (\d+) sectors differ", out)
        assert m, out
        return int(m.group(1)), int(m.group(2))

    # ---- tests ----
    def test_build_output_and_bundle(self):
        self.assertRegex(self.build_out, r"Success, built my_app/sim version 1\.0\.0 \(\d{8}-\d{6}/")
        self.assertIn("Firmware saved to build/fw.zip", self.build_out)
        with zipfile.ZipFile(self.bundle) as z:
            manifest = json.loads(z.read(next(n for n in z.namelist() if n.endswith("manifest.json"))))
        self.assertEqual(manifest["platform"], "sim")
        self.assertEqual(manifest["parts"]["fw"]["addr"], 0)

    def test_blank_board_flash_reflash_and_change(self):
        port, bdir = self.start_board("fl1")
        self.wait_console(bdir, r"no valid firmware at 0x000000 \(blank flash\); waiting for download")
        out = self.flash(port).stdout
        for line in ("Loaded my_app/sim version 1.0.0", f"Opening {port} @ 115200...",
                     "Connecting to ESP8266 ROM, attempt 1 of 10...", "Running flasher @ 921600...",
                     "Deduping...", "Writing...", "Verifying...", "Booting firmware...", "All done!"):
            self.assertIn(line, out)
        self.assertRegex(out, r"Wrote \d+ bytes in [\d.]+ seconds \([\d.]+ KBit/sec\)")
        first = self.info(port)
        self.assertEqual((first["app"], first["fw_version"]), ("my_app", "1.0.0"))

        # The same bundle again: every sector's MD5 matches, nothing is written.
        out = self.flash(port).stdout
        self.assertEqual(self.sectors(out)[0], 0, out)
        self.assertIn("Wrote 0 bytes", out)

        # Another version: only the sectors that changed are written.
        yml = self.app / "mos.yml"
        yml.write_text(yml.read_text().replace("version: 1.0.0", "version: 1.0.1"))
        try:
            run(["build", "--arch", "sim"], cwd=self.app, env=self.env, timeout=1200)
            out = self.flash(port).stdout
        finally:
            yml.write_text(yml.read_text().replace("version: 1.0.1", "version: 1.0.0"))
            run(["build", "--arch", "sim"], cwd=self.app, env=self.env, timeout=1200)
        changed, total = self.sectors(out)
        self.assertGreater(changed, 0, out)
        self.assertLess(changed, total // 4, out)
        second = self.info(port)
        self.assertEqual(second["fw_version"], "1.0.1")
        self.assertNotEqual(second["fw_id"], first["fw_id"])

    def test_keep_fs_keeps_files(self):
        port, bdir = self.start_board("fl2")
        self.flash(port)
        self.info(port)
        note = self.tmp / "note.txt"
        note.write_text("kept across a firmware update\n")
        run(["--port", port, "put", note, "note.txt"], env=self.env)
        self.flash(port, "--keep-fs")
        self.info(port)
        self.assertIn("note.txt", run(["--port", port, "ls"], env=self.env).stdout)
        self.flash(port)  # the fs part again: a fresh filesystem
        self.info(port)
        self.assertNotIn("note.txt", run(["--port", port, "ls"], env=self.env).stdout)

    def test_killed_flash_leaves_a_board_that_refuses_the_image(self):
        port, bdir = self.start_board("fl3")
        for delay in (0.6, 1.2):
            with self.subTest(kill_after=delay):
                # A fresh blank chip each time: nothing valid to fall back on.
                ctl(bdir, "reset download")
                time.sleep(0.3)
                p = subprocess.Popen([MOS, "--port", port, "flash", str(self.bundle)], env=self.env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                time.sleep(delay)
                p.send_signal(signal.SIGKILL)
                p.wait()
                self.assertEqual(ctl(bdir, "reset"), "ok")
                mark = len(self.console(bdir))
                rx = r"no valid firmware at 0x000000 \((payload checksum mismatch|blank flash|payload size)"
                mostest.wait_until(lambda: re.search(rx, self.console(bdir)[mark:]), timeout=20,
                                   what="the ROM refusing the broken image")
        # Flashing again fixes it.
        self.flash(port)
        self.assertEqual(self.info(port)["app"], "my_app")

    def test_bad_bundles_are_refused_before_touching_the_board(self):
        port, bdir = self.start_board("fl4", "--flash-size", "1048576")
        before = self.console(bdir)
        tampered = self.tmp / "tampered.zip"
        with zipfile.ZipFile(self.bundle) as zin, zipfile.ZipFile(tampered, "w") as zout:
            for item in zin.infolist():
                data = zin.read(item.filename)
                if item.filename.endswith("/fw.bin"):
                    data = data[:100] + bytes([data[100] ^ 1]) + data[101:]
                zout.writestr(item, data)
        truncated = self.tmp / "truncated.zip"
        truncated.write_bytes(self.bundle.read_bytes()[:4000])
        for bundle, want in ((tampered, r"fw"), (truncated, r"(truncated|not a zip|cannot open|corrupt)"),
                             (self.bundle, r"(does not fit|flash)")):
            with self.subTest(bundle=bundle.name):
                p = self.flash(port, bundle=bundle, check=False, timeout=60)
                self.assertNotEqual(p.returncode, 0, p.stdout + p.stderr)
                self.assertRegex(p.stderr, r"^Error: ", p.stderr)
                self.assertRegex(p.stderr, want)
        self.assertEqual(self.console(bdir), before, "a refused bundle must not reset the board")

    def test_nothing_answers_sync(self):
        master, slave = os.openpty()
        self.addCleanup(os.close, master)
        self.addCleanup(os.close, slave)
        path = os.ttyname(slave)
        p = run(["--port", path, "flash", self.bundle], env=self.env, check=False, timeout=120)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(f"no ESP ROM answered on {path}; is the board powered and in download mode?", p.stderr)


if __name__ == "__main__":
    unittest.main()
