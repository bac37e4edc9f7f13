"""Virtual boards and the `mos` CLI for end-to-end tests.

A Board is started with `mos sim start` (its own state directory per test,
so tests never see each other's boards), talked to over its pseudo-terminal
with the same `mos` commands a person types, and stopped at the end. A
Console captures the serial log in the background once provisioning is done
(one reader at a time on a serial line, as on a real UART).
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "testing"))
import mostest  # noqa: E402

REPO = mostest.REPO
BUILD = Path(os.environ.get("MOS_BUILD_DIR", REPO / "build" / "default"))
MOS = os.environ.get("MOS_BIN", str(BUILD / "tools" / "mos" / "mos"))
# What the boards run: the c_mqtt image of this build, programmed into the
# flash before power-on (`mos sim start --firmware`).
FIRMWARE = os.environ.get("MOS_FIRMWARE", str(BUILD / "apps" / "c_mqtt" / "fw.bin"))

# The seed's message, exactly as a person types it into an MQTT test client.
SEED_ON = "{\n    gpio: {\n        pin: 2,\n        state: 0\n    }\n}"
SEED_OFF = "{\n    gpio: {\n        pin: 2,\n        state: 1\n    }\n}"


def mos(*args, env=None, timeout=60, check=True) -> subprocess.CompletedProcess:
    p = subprocess.run([MOS, *map(str, args)], capture_output=True, text=True, errors="replace",
                       env=env, timeout=timeout)
    if check and p.returncode != 0:
        raise AssertionError(f"mos {' '.join(map(str, args))} failed ({p.returncode}):\n{p.stdout}{p.stderr}")
    return p


class Board:
    """One virtual NodeMCU board, `mos sim start`ed in a private state directory."""

    def __init__(self, workdir, name="board", aps=(("mos-test-ap", "correct horse"),)):
        self.workdir = Path(workdir)
        self.name = name
        self.aps = list(aps)
        self.env = dict(os.environ, MOS_SIM_DIR=str(self.workdir / "sim"))
        self.log = Console(self.workdir / "sim" / name / "console.log")  # whole log, from boot
        self.port = ""
        self.console: Console | None = None

    def mos(self, *args, **kw) -> subprocess.CompletedProcess:
        kw.setdefault("env", self.env)
        return mos("--port", self.port, *args, **kw) if self.port else mos(*args, **kw)

    def start(self) -> "Board":
        args = ["sim", "start", "--name", self.name, "--firmware", FIRMWARE]
        for ssid, pw in self.aps:
            args += ["--ap", f"{ssid}:{pw}"]
        p = mos(*args, env=self.env)
        m = re.search(r"(/dev/pts/\d+)", p.stdout + p.stderr)
        if not m:
            raise AssertionError(f"mos sim start printed no pseudo-terminal path:\n{p.stdout}{p.stderr}")
        self.port = m.group(1)
        # The board answers RPC once its firmware runs.
        mostest.wait_until(lambda: self.ping(), timeout=15, what=f"board {self.name} answering RPC")
        return self

    def ping(self) -> bool:
        p = mos("--port", self.port, "--timeout", "1", "call", "RPC.Ping", env=self.env, check=False)
        return p.returncode == 0

    def stop(self) -> None:
        if self.console:
            self.console.stop()
            self.console = None
        mos("sim", "stop", self.name, env=self.env, check=False)

    def gpio(self, pin: int) -> int:
        p = mos("sim", "gpio", self.name, pin, env=self.env)
        m = re.search(r"(\d)\s*$", p.stdout.strip())
        if not m:
            raise AssertionError(f"mos sim gpio printed no level: {p.stdout}")
        return int(m.group(1))

    def press(self, pin: int) -> None:
        mos("sim", "press", self.name, pin, env=self.env)

    def provision(self, files: dict, config: dict) -> None:
        """Copies files (remote name -> local path) with `mos put`, then one
        `mos config-set` (which saves and reboots), then waits for the reboot."""
        for remote, local in files.items():
            self.mos("put", local, remote)
        pairs = [f"{k}={v}" for k, v in config.items()]
        self.mos("config-set", *pairs)
        time.sleep(0.5)
        mostest.wait_until(self.ping, timeout=15, what=f"board {self.name} back after reboot")

    def start_console(self) -> "Console":
        """The console log from now on (earlier lines are skipped)."""
        self.console = Console(self.workdir / "sim" / self.name / "console.log")
        self.console.mark()
        return self.console

    def __enter__(self) -> "Board":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class Console:
    """The board's console log as UART0 printed it: `mos sim` keeps a copy in
    the board's console.log, so tests can read it while `mos` commands use the
    serial port (one reader at a time on a serial line, as on a real UART)."""

    def __init__(self, path: Path):
        self.path = path
        self.offset = 0

    def text(self) -> str:
        return self.path.read_text(errors="replace") if self.path.exists() else ""

    def mark(self) -> None:
        """Later waits only look at lines printed after this point."""
        self.offset = len(self.text())

    def wait_for(self, pattern: str, timeout: float = 20.0, advance: bool = False) -> str:
        """Waits for a line matching pattern after the mark; advance=True moves
        the mark past it (to check that lines come in a given order)."""
        rx = re.compile(pattern)

        def seen():
            return rx.search(self.text(), self.offset)
        try:
            m = mostest.wait_until(seen, timeout=timeout, what=f"console line /{pattern}/")
        except TimeoutError:
            tail = self.text()[self.offset:][-3000:]
            raise AssertionError(f"no console line matching /{pattern}/ within {timeout}s; log since mark:\n{tail}")
        if advance:
            self.offset = m.end()
        return m.group(0)

    def stop(self) -> None:
        pass
