#!/usr/bin/env python3
"""Flash bench: `mos flash` throughput at 115200 and 921600 baud vs line rate.

Writes a bundle of incompressible data (so deflate cannot hide the line), to
a fresh flash each run (nothing deduped), and reads mos's own line
"Wrote N bytes in S seconds (K KBit/sec)". Line rate for 8N1 is baud * 8/10
bits of payload per second; the ratio shows protocol overhead (SLIP, headers,
one command round trip per 16 KB block, MD5 dedupe and verify are outside
the timed write).

Targets:
  --board NAME   a running virtual board (`mos sim start --name NAME`), whose
                 chip is in download mode (needs the sim chip's ROM loader)
  --rom-pty EXE  start EXE (tools/espflash's esp_rom_pty) per run: the loader
                 on a bare pty, which has no line rate (shows the host-side
                 ceiling only)

Usage: bench/flash_bench.py --mos build/default/tools/mos/mos
         (--board dev1 | --rom-pty build/default/tools/espflash/esp_rom_pty)
         [--kbytes 512] [--json out.json]
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
import zipfile


def make_bundle(path: str, size: int) -> None:
    data = os.urandom(size)
    manifest = {"name": "bench", "platform": "sim", "version": "1.0.0", "build_id": "bench",
                "build_timestamp": "2026-01-01T00:00:00Z", "description": "flash bench",
                "parts": {"fw": {"type": "fw", "addr": 0x10000, "src": "fw.bin", "size": size,
                                 "cs_sha1": hashlib.sha1(data).hexdigest()}}}
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("bench-1.0.0/fw.bin", data)
        z.writestr("bench-1.0.0/manifest.json", json.dumps(manifest))


def run_once(args, bundle: str, baud: int, tmp: str) -> dict:
    chip = None
    if args.rom_pty:
        flash_file = os.path.join(tmp, "flash-%d.bin" % baud)
        chip = subprocess.Popen([args.rom_pty, flash_file, str(4 << 20)], stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)
        port = chip.stdout.readline().strip()
    else:
        sim_dir = os.environ.get("MOS_SIM_DIR", ".mos/sim")
        with open(os.path.join(sim_dir, args.board, "board.json")) as f:
            port = json.load(f)["pty"]
    make_bundle(bundle, args.kbytes * 1024)  # new random data: nothing is deduped away
    try:
        cmd = [args.mos, "flash", "--port", port, "--esp-baud-rate", str(baud), bundle]
        r = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
        if r.returncode != 0:
            sys.exit("mos flash failed:\n" + r.stdout + r.stderr)
        m = re.search(r"Wrote (\d+) bytes in ([\d.]+) seconds \(([\d.]+) KBit/sec\)", r.stdout)
        if not m:
            sys.exit("no 'Wrote' line in:\n" + r.stdout)
        written, secs, kbit = int(m.group(1)), float(m.group(2)), float(m.group(3))
    finally:
        if chip is not None:
            if chip.poll() is None:
                chip.terminate()
            chip.wait(timeout=10)
    line_kbit = (baud or 115200) * 8 / 10 / 1000
    return {"baud": baud or 115200, "bytes": written, "seconds": secs, "kbit_s": kbit,
            "line_kbit_s": line_kbit, "of_line": kbit / line_kbit}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mos", required=True)
    target = ap.add_mutually_exclusive_group(required=True)
    target.add_argument("--board")
    target.add_argument("--rom-pty")
    ap.add_argument("--kbytes", type=int, default=512)
    ap.add_argument("--json")
    args = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="mos-flash-bench-")
    bundle = os.path.join(tmp, "fw.zip")
    rows = [run_once(args, bundle, baud, tmp) for baud in (0, 921600)]
    print("%8s %10s %9s %11s %11s %8s" % ("baud", "bytes", "seconds", "KBit/s", "line KBit/s", "of line"))
    for r in rows:
        print("%8d %10d %9.2f %11.1f %11.1f %7.0f%%" % (r["baud"], r["bytes"], r["seconds"], r["kbit_s"],
                                                       r["line_kbit_s"], 100 * r["of_line"]))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=2)


if __name__ == "__main__":
    main()
