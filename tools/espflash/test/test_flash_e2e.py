#!/usr/bin/env python3
"""`mos flash` end to end against esp_rom_pty (the RomLoader on a pty).

usage: test_flash_e2e.py MOS ESP_ROM_PTY
Builds fw.zip files in Mongoose OS's shape, flashes them, reads the chip's
flash back, re-flashes (nothing to write), and checks the refusals that must
happen before the port is touched.
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import zipfile

MOS, CHIP = sys.argv[1], sys.argv[2]


def bundle(path, platform, parts):
    manifest = {"name": "c_mqtt", "platform": platform, "version": "1.0.0",
                "build_id": "20261201-201142/e2e", "build_timestamp": "2026-12-01T20:11:42Z",
                "description": "e2e", "parts": {}}
    with zipfile.ZipFile(path, "w") as z:
        for name, (ptype, addr, data) in parts.items():
            manifest["parts"][name] = {"type": ptype, "addr": addr, "src": name + ".bin", "size": len(data),
                                       "cs_sha1": hashlib.sha1(data).hexdigest()}
            z.writestr("c_mqtt-1.0.0/%s.bin" % name, data)
        z.writestr("c_mqtt-1.0.0/manifest.json", json.dumps(manifest))


class Chip:
    def __init__(self, flash_file, size):
        self.proc = subprocess.Popen([CHIP, flash_file, str(size)], stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, text=True)
        self.pty = self.proc.stdout.readline().strip()
        assert self.pty.startswith("/dev/"), self.pty

    def wait_booted(self):
        out, err = self.proc.communicate(timeout=20)
        assert "booted" in out, (out, err)
        return err

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(timeout=10)


def mos_flash(*args):
    r = subprocess.run([MOS, "flash", *args], capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout, r.stderr


def main():
    tmp = tempfile.mkdtemp(prefix="mos-flash-e2e-")
    fw = bytes((i * 31 + (i >> 7)) & 0xFF for i in range(70000))
    fs = b"config" + b"\xff" * 8186
    good = os.path.join(tmp, "fw.zip")
    bundle(good, "sim", {"fw": ("fw", 0x10000, fw), "fs": ("fs", 0x300000, fs)})
    flash = os.path.join(tmp, "flash.bin")

    chip = Chip(flash, 4 << 20)
    try:
        rc, out, err = mos_flash("--port", chip.pty, good)
        assert rc == 0, (out, err)
        lines = out.splitlines()
        expect = ["Loaded c_mqtt/sim version 1.0.0 (20261201-201142/e2e)", "Opening %s @ 115200..." % chip.pty,
                  "Connecting to ESP8266 ROM, attempt 1 of 10...", "Running flasher @ 921600...",
                  "Flash size: 4194304", "Deduping...", "Writing..."]
        assert lines[:len(expect)] == expect, lines
        assert lines[len(expect)].startswith("Wrote 74096 bytes in "), lines
        assert lines[-3:] == ["Verifying...", "Booting firmware...", "All done!"], lines
        assert "baud 921600" in chip.wait_booted()
    finally:
        chip.stop()
    data = open(flash, "rb").read()
    assert data[0x10000:0x10000 + len(fw)] == fw
    assert data[0x300000:0x300000 + len(fs)] == fs

    chip = Chip(flash, 4 << 20)  # same flash again: nothing differs
    try:
        rc, out, err = mos_flash("--port", chip.pty, "--esp-baud-rate", "0", "--keep-fs", good)
        assert rc == 0, (out, err)
        assert "Skipping fs (type fs, --keep-fs)" in out, out
        assert "Running flasher @ 115200..." in out, out
        assert "Wrote 0 bytes in " in out, out
        chip.wait_booted()
    finally:
        chip.stop()

    # Refused before the port is opened: another platform, a missing port.
    other = os.path.join(tmp, "fw32.zip")
    bundle(other, "esp32", {"fw": ("fw", 0x10000, fw)})
    rc, out, err = mos_flash("--port", "/dev/null-no-such-port", other)
    assert rc == 1 and "built for platform esp32" in err and "Opening" not in out, (out, err)
    rc, out, err = mos_flash("--port", "/dev/null-no-such-port", good)
    assert rc == 1 and "cannot open /dev/null-no-such-port" in err and "  -> " in err, (out, err)
    rc, out, err = mos_flash("--port", "/dev/null-no-such-port", "--esp-baud-rate", "1000000", good)
    assert rc == 1 and "--esp-baud-rate 1000000" in err and "Loaded" not in out, (out, err)
    print("mos flash e2e: ok")


if __name__ == "__main__":
    main()
