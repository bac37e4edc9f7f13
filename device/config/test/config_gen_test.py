#!/usr/bin/env python3
"""Schema mistakes in mos.yml are reported with the file, the entry and the key."""
import os
import subprocess
import sys
import tempfile
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
GEN = os.path.join(HERE, "..", "mos_config_gen.py")
CORE = os.path.join(HERE, "..", "mos_core.yml")


def run(app_yaml):
    with tempfile.TemporaryDirectory() as d:
        app = os.path.join(d, "mos.yml")
        out = os.path.join(d, "out.h")
        with open(app, "w") as f:
            f.write(app_yaml)
        p = subprocess.run([sys.executable, GEN, "--out", out, CORE, app], capture_output=True, text=True)
        text = open(out).read() if os.path.exists(out) else ""
        return p.returncode, p.stderr, text


class GenTest(unittest.TestCase):
    def test_override_and_new_keys(self):
        rc, err, text = run('config_schema:\n  - ["mqtt.pub", "/response"]\n'
                            '  - ["app.x", "i", 7, {title: "X"}]\n')
        self.assertEqual(rc, 0, err)
        self.assertIn('{"mqtt.pub", ::mos::ConfigType::kString', text)
        self.assertIn('"/response", 0}', text)
        self.assertIn("struct App_t {", text)  # parent object created
        self.assertIn("int32_t x;  // X", text)

    def test_errors(self):
        cases = [
            ('config_schema:\n  - ["mqtt.keep_alive", "sixty"]\n', "mqtt.keep_alive is an integer (i)"),
            ('config_schema:\n  - ["nope.key", "x"]\n', "nope.key sets a default but no file declares the key"),
            ('config_schema:\n  - ["a", "q", 1]\n', "a has unknown type 'q'"),
            ('config_schema:\n  - ["a.b", "s"]\n', "a.b needs exactly one default value"),
            ('config_schema:\n  - ["a-b", "s", ""]\n', "'a-b' is not a valid key"),
            ('config_schema:\n  - ["mqtt.server.x", "s", ""]\n', "inside mqtt.server, which is not an object"),
            ('config_schema:\n  - ["s", "s", "toolong", {max_len: 3}]\n', "longer than max_len 3"),
        ]
        for yml, want in cases:
            rc, err, _ = run(yml)
            self.assertNotEqual(rc, 0, yml)
            self.assertIn(want, err, yml)
            self.assertIn("mos_config_gen:", err)


if __name__ == "__main__":
    unittest.main()
