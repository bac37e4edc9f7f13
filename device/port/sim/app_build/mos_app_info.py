#!/usr/bin/env python3
"""Prints CMake set() lines for an app's mos.yml: MOS_APP_NAME, MOS_APP_VERSION,
MOS_APP_SOURCE_DIRS (sources:, default [src]) and MOS_APP_INCLUDES (includes:,
default [include] when it exists). Errors name the file and line."""
import os
import re
import sys

import yaml

NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,19}$")


def fail(msg):
    print(msg, file=sys.stderr)
    sys.exit(1)


def cmake_list(items):
    return ";".join(str(i).replace(";", "") for i in items)


def main():
    path = sys.argv[1]
    try:
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark else path
        fail(f"{where}: {getattr(e, 'problem', None) or e}")
    except OSError as e:
        fail(f"{path}: {e.strerror}")
    if not isinstance(doc, dict):
        fail(f"{path}: not a mapping of keys (name:, version:, sources: ...)")
    name = str(doc.get("name") or os.path.basename(os.path.dirname(os.path.abspath(path))))
    if not NAME_RE.match(name):
        fail(f"{path}: name {name!r} must be 1..20 letters, digits, _ or -, starting with a letter")
    version = str(doc.get("version", "1.0"))
    if len(version) > 20 or not re.match(r"^[A-Za-z0-9._+-]*$", version):
        fail(f"{path}: version {version!r} must be up to 20 characters of letters, digits, . _ + -")
    sources = doc.get("sources", ["src"])
    if not isinstance(sources, list) or not all(isinstance(s, str) for s in sources):
        fail(f"{path}: sources: must be a list of directories or files")
    app_dir = os.path.dirname(os.path.abspath(path))
    includes = doc.get("includes")
    if includes is None:
        includes = ["include"] if os.path.isdir(os.path.join(app_dir, "include")) else []
    print(f'set(MOS_APP_NAME "{name}")')
    print(f'set(MOS_APP_VERSION "{version}")')
    print(f'set(MOS_APP_SOURCE_DIRS "{cmake_list(sources)}")')
    print(f'set(MOS_APP_INCLUDES "{cmake_list(includes)}")')


if __name__ == "__main__":
    main()
