#!/usr/bin/env python3
"""mos-cloud HTTP front under hostile load (not a ctest).

For each server binary given (e.g. main's build as "before" and this one as
"after"), a good boto3 client's API latency (list_things / describe_endpoint
in turn) alone and under each hostile load of cloud/tests/test_hostile.py,
with mos-cloud's resident memory (VmRSS) before and at its peak; plus a row
of boto3 describe_endpoint minimum vs median (a 40 ms gap is the Nagle /
delayed-ACK stall). Each case runs on a fresh server.

Usage: bench/http_hostile_bench.py [--seconds 4] [--before PATH] [--after PATH]
(--after defaults to build/default/cloud/server/mos-cloud)."""
import argparse
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "testing"))
sys.path.insert(0, str(REPO / "cloud" / "tests"))
import cloudtest  # noqa: E402
import test_hostile as h  # noqa: E402


def with_server(binary, fn):
    cloudtest.MOS_CLOUD = binary
    srv = cloudtest.Server().start()
    try:
        iot = h.good_boto3(srv)
        iot.list_things()
        return fn(srv, iot)
    finally:
        srv.stop()


def nagle_row(srv, iot, n=50):
    lat = []
    for _ in range(n):
        t0 = time.perf_counter()
        iot.describe_endpoint(endpointType="iot:Data-ATS")
        lat.append((time.perf_counter() - t0) * 1000)
    return min(lat), statistics.median(lat)


def run(binary, seconds):
    rows = {}
    rows["alone"] = with_server(binary, lambda srv, iot: h.under_attack(srv, iot, None, seconds))
    names = [a.name for a in h.all_attacks(0)]
    for i, name in enumerate(names):
        rows[name] = with_server(binary, lambda srv, iot, i=i: h.under_attack(srv, iot, h.all_attacks(srv.port)[i], seconds))
        print(f"  {name}: done", file=sys.stderr, flush=True)
    rows["nagle"] = with_server(binary, nagle_row)
    return rows


def cell(r):
    if r["n"] == 0:
        return "no call completed"
    err = f", {len(r['errors'])} err" if r["errors"] else ""
    return f"{r['p50']:.1f} / {r['p99']:.1f} ms (n={r['n']}{err})"


def rss(r):
    return f"{r['rss_base_mb']:.0f} -> {r['rss_peak_mb']:.0f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--before", help="mos-cloud binary to compare against (e.g. main's build)")
    ap.add_argument("--after", default=str(REPO / "build/default/cloud/server/mos-cloud"))
    a = ap.parse_args()
    bins = ([("before", a.before)] if a.before else []) + [("after", a.after)]
    results = {}
    for label, b in bins:
        print(f"{label}: {b}", file=sys.stderr, flush=True)
        results[label] = run(b, a.seconds)

    labels = [label for label, _ in bins]
    head = "| load | " + " | ".join(f"{lb}: good p50 / p99 | {lb}: RSS MiB" for lb in labels) + " |"
    print(head)
    print("|" + "---|" * (1 + 2 * len(labels)))
    for name in results[labels[0]]:
        if name == "nagle":
            continue
        print(f"| {name} | " + " | ".join(f"{cell(results[lb][name])} | {rss(results[lb][name])}" for lb in labels) + " |")
    print("| boto3 describe_endpoint min / median | " +
          " | ".join(f"{results[lb]['nagle'][0]:.1f} / {results[lb]['nagle'][1]:.1f} ms | " for lb in labels) + " |")


if __name__ == "__main__":
    main()
