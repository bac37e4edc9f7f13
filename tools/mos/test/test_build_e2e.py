"""End to end: `mos build` on a copy of apps/c_mqtt in a temporary directory
outside the repository.

Against a stand-in firmware build project (stand_in_app_build/, same contract
as device/port/sim/app_build, reached through MOS_ROOT): the fw.zip layout and
manifest, a second build that does nothing, a version change, the fs part, and
every refusal (no mos.yml, YAML syntax error, --arch esp8266/esp32, a broken
source, an oversized filesystem file) with a non-zero exit. Against the real
project (when the tree has it): one build and one no-op rebuild.

Usage: test_build_e2e.py MOS_BINARY MOS_SOURCE_DIR
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import unittest
import zipfile
from pathlib import Path

MOS = ""
SRC = Path()
HERE = Path(__file__).resolve().parent
BUILD_ID = re.compile(r"^\d{8}-\d{6}/[0-9a-f]{8}$")


def mos(args, cwd, env_root=None, check=None):
    env = dict(os.environ)
    env.pop("MOS_ROOT", None)
    if env_root is not None:
        env["MOS_ROOT"] = str(env_root)
    p = subprocess.run([MOS, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=1200)
    if check is True and p.returncode != 0:
        raise AssertionError(f"mos {' '.join(args)} failed ({p.returncode}):\n{p.stdout}\n{p.stderr}")
    return p


def read_zip(path: Path):
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        manifest_name = next(n for n in names if n.endswith("/manifest.json"))
        top = manifest_name.rsplit("/", 1)[0]
        m = json.loads(z.read(manifest_name))
        data = {p: z.read(f"{top}/{m['parts'][p]['src']}") for p in m["parts"]}
    return top, names, m, data


def copy_app(dst: Path) -> Path:
    app = dst / "c_mqtt"
    shutil.copytree(SRC / "apps/c_mqtt", app, ignore=shutil.ignore_patterns("build", ".*"))
    return app


class StandIn(unittest.TestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(prefix="mos_build_e2e_"))
        self.root = self.tmp / "mosroot"
        shutil.copytree(HERE / "stand_in_app_build", self.root / "device/port/sim/app_build")
        self.app = copy_app(self.tmp)
        # Mongoose OS's filesystem: key, with one file for the store.
        (self.app / "fs").mkdir()
        (self.app / "fs/hello.txt").write_text("hello from the file store\n")
        with open(self.app / "mos.yml", "a") as f:
            f.write("filesystem:\n  - fs\n")

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)

    def build(self, *extra, check=True):
        return mos(["build", "--arch", "sim", *extra], cwd=self.app, env_root=self.root, check=check)

    def test_bundle_incremental_and_version(self):
        p = self.build()
        m = re.search(r"^Success, built c_mqtt/sim version 1\.0\.0 \((\S+)\)\.$", p.stdout, re.M)
        self.assertIsNotNone(m, p.stdout)
        self.assertRegex(m.group(1), BUILD_ID)
        self.assertIn("Firmware saved to build/fw.zip\n", p.stdout)

        zpath = self.app / "build/fw.zip"
        top, names, man, data = read_zip(zpath)
        self.assertEqual(top, "c_mqtt-1.0.0")
        self.assertEqual(sorted(names), ["c_mqtt-1.0.0/fs.bin", "c_mqtt-1.0.0/fw.bin", "c_mqtt-1.0.0/manifest.json"])
        self.assertEqual((man["name"], man["platform"], man["version"]), ("c_mqtt", "sim", "1.0.0"))
        self.assertEqual(man["build_id"], m.group(1))
        self.assertRegex(man["build_timestamp"], r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
        self.assertIn("Control GPIO over MQTT", man["description"])
        fw, fsp = man["parts"]["fw"], man["parts"]["fs"]
        self.assertEqual((fw["type"], fw["src"], fw["addr"]), ("fw", "fw.bin", 0))
        self.assertEqual((fsp["type"], fsp["src"], fsp["addr"]), ("fs", "fs.bin", 0x300000))
        for name, part in man["parts"].items():
            self.assertEqual(part["size"], len(data[name]))
            self.assertEqual(part["cs_sha1"], hashlib.sha1(data[name]).hexdigest())
            self.assertEqual(part["cs_sha256"], hashlib.sha256(data[name]).hexdigest())
        self.assertEqual(data["fw"], (self.app / "build/objs/fw.bin").read_bytes())
        # The id ends with the start of the chip's fw_id: SHA-256 of the payload.
        self.assertEqual(man["build_id"][-8:], hashlib.sha256(data["fw"][64:]).hexdigest()[:8])
        self.assertEqual(len(data["fs"]), 0x40000)
        self.assertIn(b"conf0.json", data["fs"])
        self.assertIn(b"hello.txt", data["fs"])
        self.assertIn(b"hello from the file store", data["fs"])

        # Unchanged sources: nothing runs, nothing is rewritten.
        before = zpath.read_bytes()
        zmtime = zpath.stat().st_mtime_ns
        fwmtime = (self.app / "build/objs/fw.bin").stat().st_mtime_ns
        p2 = self.build("--verbose")
        self.assertIn("ninja: no work to do", p2.stdout)
        self.assertIn("$ cmake --build", p2.stdout)
        self.assertNotIn("-DMOS_APP_DIR", p2.stdout)  # configured once
        self.assertIn(f"({man['build_id']}).", p2.stdout)
        self.assertEqual(zpath.read_bytes(), before)
        self.assertEqual(zpath.stat().st_mtime_ns, zmtime)
        self.assertEqual((self.app / "build/objs/fw.bin").stat().st_mtime_ns, fwmtime)

        # A new version: new manifest, new directory in the zip, new build id.
        yml = self.app / "mos.yml"
        yml.write_text(yml.read_text().replace("version: 1.0.0", "version: 1.0.1"))
        p3 = self.build()
        self.assertIn("Success, built c_mqtt/sim version 1.0.1 (", p3.stdout)
        top3, _, man3, data3 = read_zip(zpath)
        self.assertEqual((top3, man3["version"]), ("c_mqtt-1.0.1", "1.0.1"))
        self.assertNotEqual(man3["build_id"], man["build_id"])
        self.assertEqual(man3["build_id"][-8:], hashlib.sha256(data3["fw"][64:]).hexdigest()[:8])

        # A changed filesystem file changes the fs part (and nothing else breaks).
        (self.app / "fs/hello.txt").write_text("changed\n")
        self.build()
        _, _, man4, data4 = read_zip(zpath)
        self.assertIn(b"changed\n", data4["fs"])
        self.assertNotEqual(man4["parts"]["fs"]["cs_sha1"], man3["parts"]["fs"]["cs_sha1"])

    def test_app_and_build_dir_flags(self):
        out = self.tmp / "elsewhere"
        p = mos(["build", "--arch", "sim", "--app-dir", str(self.app), "--build-dir", str(out)], cwd=self.tmp,
                env_root=self.root, check=True)
        self.assertIn("Firmware saved to elsewhere/fw.zip", p.stdout)
        self.assertTrue((out / "fw.zip").is_file())
        # platform: sim in mos.yml stands in for --arch.
        p = mos(["build"], cwd=self.app, env_root=self.root, check=True)
        self.assertIn("built c_mqtt/sim", p.stdout)

    def test_refusals(self):
        def fails(p, *needles):
            self.assertNotEqual(p.returncode, 0, p.stdout + p.stderr)
            self.assertNotIn("Success", p.stdout)
            for n in needles:
                self.assertIn(n, p.stderr)
            return p

        empty = self.tmp / "empty"
        empty.mkdir()
        fails(mos(["build", "--arch", "sim"], cwd=empty, env_root=self.root), "Error: No mos.yml file in ", "-> ")

        for arch, tool in (("esp8266", "xtensa-lx106-elf"), ("esp32", "xtensa-esp32-elf")):
            p = fails(self.build_arch(arch), tool)
            err = [l for l in p.stderr.splitlines() if l.startswith("Error:")]
            self.assertEqual(len(err), 1, p.stderr)
            self.assertIn(arch, err[0])
            self.assertIn(tool, err[0])
            self.assertFalse((self.app / "build/fw.zip").exists())
        fails(self.build_arch("cc3200"), 'unknown --arch "cc3200"')

        yml = self.app / "mos.yml"
        good = yml.read_text()
        yml.write_text(good.replace("sources:\n  - src", "sources: [src\n"))
        fails(self.build(check=False), f"{yml}:", "YAML syntax error")
        yml.write_text(good)

        (self.app / "fs/big.bin").write_bytes(b"x" * 40000)
        fails(self.build(check=False), "fs/big.bin is too large for the device's file store")
        (self.app / "fs/big.bin").unlink()

        (self.app / "src/broken.c").write_text("MOS_TEST_BREAK_BUILD\n")
        p = fails(self.build(check=False), "error: the test broke", "building the firmware failed",
                  "build.log")
        (self.app / "src/broken.c").unlink()
        self.build()  # and it recovers

        (self.app / "src/bad_image.c").write_text("MOS_TEST_BAD_IMAGE\n")
        fails(self.build(check=False), "is not a firmware image the board boots: no image header (bad magic)")
        (self.app / "src/bad_image.c").unlink()

        fails(mos(["build", "--arch", "sim"], cwd=self.app, env_root=self.tmp / "nowhere"),
              "no firmware build project at", "MOS_ROOT")

    def build_arch(self, arch):
        return mos(["build", "--arch", arch], cwd=self.app, env_root=self.root)


@unittest.skipUnless((Path(sys.argv[2] if len(sys.argv) > 2 else ".") / "device/port/sim/app_build/CMakeLists.txt").is_file(),
                     "the tree has no device/port/sim/app_build yet")
class RealFirmware(unittest.TestCase):
    def test_build_c_mqtt(self):
        with tempfile.TemporaryDirectory(prefix="mos_build_real_") as d:
            app = copy_app(Path(d))
            p = mos(["build", "--arch", "sim"], cwd=app, check=True)
            self.assertRegex(p.stdout, r"Success, built c_mqtt/sim version 1\.0\.0 \(\d{8}-\d{6}/[0-9a-f]{8}\)\.")
            zpath = app / "build/fw.zip"
            _, _, man, data = read_zip(zpath)
            self.assertEqual(man["parts"]["fw"]["addr"], 0)
            self.assertEqual(man["parts"]["fs"]["addr"], 0x300000)
            self.assertLessEqual(len(data["fw"]), 0x180000)
            self.assertIn(b"conf0.json", data["fs"])
            before = zpath.read_bytes()
            p2 = mos(["build", "--arch", "sim", "--verbose"], cwd=app, check=True)
            self.assertIn("ninja: no work to do", p2.stdout)
            self.assertEqual(zpath.read_bytes(), before)


if __name__ == "__main__":
    MOS = os.path.abspath(sys.argv[1])
    SRC = Path(sys.argv[2]).resolve()
    unittest.main(argv=sys.argv[:1], verbosity=2)
