#!/usr/bin/env python3
"""Generates a C++ header with typed config structs and a schema table from
Mongoose OS style `config_schema:` lists in one or more YAML files (mos.yml).

Entries, as in Mongoose OS:
  [key, type, {options}]            an object (type "o")
  [key, type, default, {options}]   a value; options may be omitted
  [key, default]                    overrides the default of an existing key
Types: s string, i integer (int32), b boolean, d double (f is read as d), o object.
Option max_len: capacity of a string in characters (default 64).
Later files may add keys and override defaults of earlier ones.

Usage: mos_config_gen.py --out header.h [--conf0 conf0.json] [--struct MosConfig]
                         [--namespace mos] a.yml b.yml...
--conf0 also writes the defaults as nested JSON (Mongoose OS's conf0.json), the
file `mos build` puts in the firmware's filesystem image.
"""
import json
import argparse
import re
import sys

import yaml

TYPES = {"s": "s", "i": "i", "b": "b", "d": "d", "f": "d", "o": "o"}
DEFAULT_MAX_LEN = 64
KEY_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
CPP_KEYWORDS = {"auto", "bool", "break", "case", "char", "class", "const", "default", "delete", "do",
                "double", "else", "enum", "float", "for", "if", "int", "long", "new", "private",
                "public", "return", "short", "signed", "static", "struct", "switch", "this",
                "union", "unsigned", "void", "while", "namespace", "template", "typename"}


class SchemaError(Exception):
    pass


def check_default(key, typ, value, where):
    if typ == "s":
        if not isinstance(value, str):
            raise SchemaError(f"{where}: {key} is a string (s), but its default {value!r} is not")
    elif typ == "i":
        if isinstance(value, bool) or not isinstance(value, int) or not -2**31 <= value < 2**31:
            raise SchemaError(f"{where}: {key} is an integer (i), but its default {value!r} is not a 32-bit integer")
    elif typ == "b":
        if not isinstance(value, bool):
            raise SchemaError(f"{where}: {key} is a boolean (b), but its default {value!r} is not true/false")
    elif typ == "d":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise SchemaError(f"{where}: {key} is a number (d), but its default {value!r} is not")
        value = float(value)
    return value


def load(files):
    keys = {}  # path -> dict(type, default, max_len, title); insertion order = declaration order
    for path in files:
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f) or {}
        entries = doc.get("config_schema") or []
        if not isinstance(entries, list):
            raise SchemaError(f"{path}: config_schema must be a list of [key, type, ...] entries")
        for n, e in enumerate(entries, 1):
            where = f"{path}: config_schema entry {n}"
            if not isinstance(e, list) or len(e) < 2 or not isinstance(e[0], str):
                raise SchemaError(f"{where}: expected [key, type, default, {{options}}], got {e!r}")
            key = e[0]
            if not KEY_RE.match(key) or any(p in CPP_KEYWORDS for p in key.split(".")):
                raise SchemaError(f"{where}: {key!r} is not a valid key (identifiers joined by dots)")
            if len(e) == 2 and not (isinstance(e[1], str) and e[1] in TYPES and key not in keys):
                # [key, value]: override the default of an existing key.
                if key not in keys:
                    raise SchemaError(f"{where}: {key} sets a default but no file declares the key")
                k = keys[key]
                if k["type"] == "o" and e[1] == "o":
                    continue  # re-declaring an object
                if k["type"] == "o":
                    raise SchemaError(f"{where}: {key} is an object; set its members instead")
                k["default"] = check_default(key, k["type"], e[1], where)
                continue
            typ = e[1]
            if typ not in TYPES:
                raise SchemaError(f"{where}: {key} has unknown type {typ!r} (use s, i, b, d or o)")
            typ = TYPES[typ]
            rest = e[2:]
            opts = {}
            if rest and isinstance(rest[-1], dict):
                opts, rest = rest[-1], rest[:-1]
            if typ == "o":
                if rest:
                    raise SchemaError(f"{where}: object {key} takes no default")
                default = None
            else:
                if len(rest) != 1:
                    raise SchemaError(f"{where}: {key} needs exactly one default value")
                default = check_default(key, typ, rest[0], where)
            if key in keys and keys[key]["type"] != typ:
                raise SchemaError(f"{where}: {key} was declared as {keys[key]['type']}, now as {typ}")
            # Parents are objects; create them if the file did not.
            parts = key.split(".")
            for i in range(1, len(parts)):
                parent = ".".join(parts[:i])
                if parent not in keys:
                    keys[parent] = {"type": "o", "default": None, "max_len": 0, "title": ""}
                elif keys[parent]["type"] != "o":
                    raise SchemaError(f"{where}: {key} is inside {parent}, which is not an object")
            max_len = opts.get("max_len", DEFAULT_MAX_LEN) if typ == "s" else 0
            if typ == "s":
                if not isinstance(max_len, int) or not 1 <= max_len <= 4096:
                    raise SchemaError(f"{where}: {key} max_len must be 1..4096")
                if key in keys:
                    max_len = max(max_len, keys[key]["max_len"])
            keys[key] = {"type": typ, "default": default, "max_len": max_len,
                         "title": str(opts.get("title", ""))}
    for key, k in keys.items():
        if k["type"] == "s" and len(k["default"].encode("utf-8")) > k["max_len"]:
            raise SchemaError(f"{key}: default {k['default']!r} is longer than max_len {k['max_len']}")
    return keys


def tree_order(keys):
    """Depth-first order: every object directly followed by its members."""
    children = {"": []}
    for key in keys:
        parent = key.rsplit(".", 1)[0] if "." in key else ""
        children.setdefault(parent, []).append(key)
        children.setdefault(key, [])
    out = []

    def walk(p):
        for c in children[p]:
            out.append(c)
            walk(c)
    walk("")
    return out, children


def cstr(s):
    return '"' + "".join(esc(b) for b in s.encode("utf-8")) + '"'


def esc(b):
    c = chr(b)
    if c == '"':
        return '\\"'
    if c == "\\":
        return "\\\\"
    if 32 <= b < 127 and c != "?":  # "?" could form a trigraph
        return c
    return "\\%03o" % b


def type_name(key):
    return "".join(p[:1].upper() + p[1:] for p in key.split("_")) + "_t"


def generate(keys, struct, namespace, sources):
    order, children = tree_order(keys)
    lines = [
        "// Generated by device/config/mos_config_gen.py from " + ", ".join(sources) + ".",
        "// Do not edit: change the config_schema in those files instead.",
        "#pragma once",
        "#include <cstddef>",
        "#include <cstdint>",
        "",
        '#include "mos/config.h"',
        "",
        f"namespace {namespace} {{" if namespace else "",
        "",
    ]

    def emit_struct(key, indent):
        for c in children[key]:
            k = keys[c]
            name = c.rsplit(".", 1)[-1]
            comment = f"  // {k['title']}" if k["title"] else ""
            pad = "  " * indent
            if k["type"] == "o":
                lines.append(f"{pad}struct {type_name(name)} {{")
                emit_struct(c, indent + 1)
                lines.append(f"{pad}}} {name};{comment}")
            elif k["type"] == "s":
                lines.append(f"{pad}char {name}[{k['max_len'] + 1}];{comment}")
            elif k["type"] == "i":
                lines.append(f"{pad}int32_t {name};{comment}")
            elif k["type"] == "b":
                lines.append(f"{pad}bool {name};{comment}")
            elif k["type"] == "d":
                lines.append(f"{pad}double {name};{comment}")

    lines.append(f"struct {struct} {{")
    emit_struct("", 1)
    lines.append("};")
    lines.append("")

    def offset_expr(key):
        parts = key.split(".")
        terms = []
        scope = struct
        for p in parts:
            terms.append(f"offsetof({scope}, {p})")
            scope = f"{scope}::{type_name(p)}"
        return " + ".join(terms)

    lines.append(f"// The schema table, depth-first: each object precedes its members.")
    lines.append(f"inline constexpr ::mos::ConfigKey k{struct}Keys[] = {{")
    for key in order:
        k = keys[key]
        t = {"s": "kString", "i": "kInt", "b": "kBool", "d": "kDouble", "o": "kObject"}[k["type"]]
        if k["type"] == "o":
            lines.append(f'    {{"{key}", ::mos::ConfigType::{t}, 0, 0, nullptr, 0}},')
            continue
        off = offset_expr(key)
        if k["type"] == "s":
            lines.append(f'    {{"{key}", ::mos::ConfigType::{t}, {off}, {k["max_len"] + 1}, '
                         f'{cstr(k["default"])}, 0}},')
        else:
            d = k["default"]
            num = ("1" if d else "0") if k["type"] == "b" else repr(d) if k["type"] == "d" else str(d)
            size = {"i": "sizeof(int32_t)", "b": "sizeof(bool)", "d": "sizeof(double)"}[k["type"]]
            lines.append(f'    {{"{key}", ::mos::ConfigType::{t}, {off}, {size}, nullptr, {num}}},')
    lines.append("};")
    lines.append(f"inline constexpr ::mos::ConfigSchema k{struct}Schema = {{k{struct}Keys, "
                 f"sizeof(k{struct}Keys) / sizeof(k{struct}Keys[0]), sizeof({struct})}};")
    lines.append("")
    if namespace:
        lines.append(f"}}  // namespace {namespace}")
    return "\n".join(lines) + "\n"


def conf0(keys):
    """The defaults as a nested object, in schema order."""
    order, _ = tree_order(keys)
    root = {}
    for key in order:
        k = keys[key]
        *parents, name = key.split(".")
        node = root
        for p in parents:
            node = node.setdefault(p, {})
        node[name] = {} if k["type"] == "o" else k["default"]
    return json.dumps(root, indent=2) + "\n"


def write_if_changed(path, text):
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == text:
                return  # unchanged: keep the timestamp, avoid rebuilds
    except OSError:
        pass
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", required=True)
    ap.add_argument("--struct", default="MosConfig")
    ap.add_argument("--namespace", default="mos")
    ap.add_argument("--conf0")
    ap.add_argument("yaml", nargs="+")
    args = ap.parse_args()
    try:
        keys = load(args.yaml)
    except (SchemaError, OSError, yaml.YAMLError) as e:
        print(f"mos_config_gen: {e}", file=sys.stderr)
        return 1
    text = generate(keys, args.struct, args.namespace, [p.rsplit("/", 1)[-1] for p in args.yaml])
    write_if_changed(args.out, text)
    if args.conf0:
        write_if_changed(args.conf0, conf0(keys))
    return 0


if __name__ == "__main__":
    sys.exit(main())
