"""Stand-in firmware: OUT/fw.bin with the 64-byte image header of
device/port/sim/include/mos/sim/fw_image.h (magic MOSF, version 1, ROM API 1.0,
payload size and CRC-32, app name and version from mos.yml, header CRC-32) over
a payload digesting the app's sources; OUT/conf0.json. A source containing
MOS_TEST_BREAK_BUILD fails the build as a compile error would; one containing
MOS_TEST_BAD_IMAGE makes a fw.bin without a header.
Usage: make_fw.py APP_DIR OUT_DIR"""
import hashlib
import re
import struct
import sys
import zlib
from pathlib import Path

app, out = Path(sys.argv[1]), Path(sys.argv[2])
yml = (app / "mos.yml").read_text()
name = re.search(r"^name:\s*(\S+)", yml, re.M).group(1)
version = re.search(r"^version:\s*(\S+)", yml, re.M).group(1)
payload = b"MOS stand-in firmware " + version.encode() + b"\n"
for f in sorted((app / "src").rglob("*")):
    if f.is_file():
        data = f.read_bytes()
        if b"MOS_TEST_BREAK_BUILD" in data:
            sys.exit(f"{f}:1: error: the test broke this build")
        if b"MOS_TEST_BAD_IMAGE" in data:
            (out / "fw.bin").write_bytes(b"not an image".ljust(100, b"x"))
            (out / "conf0.json").write_text("{}")
            sys.exit(0)
        payload += hashlib.sha1(data).hexdigest().encode() + b"\n"
head = b"MOSF" + struct.pack("<BBHHHII", 1, 0, 1, 0, 0, len(payload), zlib.crc32(payload))
head += name.encode().ljust(20, b"\0") + version.encode().ljust(20, b"\0")
head += struct.pack("<I", zlib.crc32(head))
(out / "fw.bin").write_bytes(head + payload)
(out / "conf0.json").write_text('{"device":{"id":"esp8266_??????"},"mqtt":{"pub":"/response","sub":"/request"}}\n')
