#!/usr/bin/env python3
"""Broker bench: Mosquitto + mos policy plugin vs plain Mosquitto, same run.

Both brokers listen on 127.0.0.1 with the same mTLS setup (tlsv1.2,
require_certificate, same CA/server certificate); the plugin broker reads a
registry.db in which all 100 client certificates are ACTIVE with a policy
using ${iot:ClientId} and topic wildcards. One load generator holds clients
on both brokers and measures them in short alternating windows (A B B A ...),
so load from other processes hits both alike; figures are medians.

  - throughput: 100 clients = 50 publisher->subscriber pairs, QoS 0 and QoS 1,
    messages/s received (bench/broker_bench.cpp);
  - connections: mTLS connect -> CONNACK -> disconnect per second.

Usage: bench/broker_throughput.py [--seconds 0.5] [--windows 12] [--json out.json]
Needs: cmake --build --preset default --target mos_policy_plugin broker_bench
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO / "testing"), str(REPO / "cloud/plugin/test")]

from mostest import Pki  # noqa: E402
from plugin_fixture import ARN, PolicyBroker, Registry, allow, deny, policy  # noqa: E402

CLIENTS = 100


def client_certs(pki: Pki, ca) -> list:
    """CLIENTS EC P-256 client certificates signed by ca, as client<i>.pem/.key.

    In-process with python3-cryptography when it is there (300 openssl runs
    take a minute on a loaded machine); otherwise with the openssl CLI.
    """
    try:
        import datetime
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID
    except ImportError:
        # Sequential: openssl x509 -CAcreateserial shares one serial file.
        return [pki.cert(f"client{i}", ca) for i in range(CLIENTS)]
    from mostest import CertFiles
    ca_key = serialization.load_pem_private_key(Path(ca.key).read_bytes(), None)
    ca_cert = x509.load_pem_x509_certificate(Path(ca.cert).read_bytes())
    now = datetime.datetime.now(datetime.timezone.utc)
    out = []
    for i in range(CLIENTS):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"client{i}")]))
                .issuer_name(ca_cert.subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(minutes=5))
                .not_valid_after(now + datetime.timedelta(days=1))
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .sign(ca_key, hashes.SHA256()))
        pem, kpath = pki.dir / f"client{i}.pem", pki.dir / f"client{i}.key"
        pem.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        kpath.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()))
        out.append(CertFiles(f"client{i}", pem, kpath))
    return out


def bench_exe(build: Path) -> str:
    exe = build / "cloud/plugin/broker_bench"
    if not exe.exists():
        sys.exit(f"{exe} not found: cmake --build --preset default --target mos_policy_plugin broker_bench")
    return str(exe)


def run_bench(exe: str, mode: str, plain: PolicyBroker, withp: PolicyBroker, ca, certs: Path, seconds: float,
              windows: int, **kw) -> dict:
    """One broker_bench run measuring both brokers in alternating windows."""
    cmd = [exe, mode, "--port", str(plain.tls_port), "--pid", str(plain.proc.pid),
           "--port2", str(withp.tls_port), "--pid2", str(withp.proc.pid), "--cafile", str(ca.cert),
           "--certs", str(certs), "--clients", str(CLIENTS), "--seconds", str(seconds),
           "--windows", str(windows)]
    for k, v in kw.items():
        cmd += [f"--{k}", str(v)]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=2 * windows * seconds + 180)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed ({p.returncode}): {p.stderr}\nplugin broker log:\n"
                           f"{withp.log_text()[-2000:]}")
    return json.loads(p.stdout)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=0.5, help="length of one window (default 0.5)")
    ap.add_argument("--windows", type=int, default=12, help="windows per broker and case (default 12)")
    ap.add_argument("--build", type=Path, default=REPO / "build/default")
    ap.add_argument("--json", type=Path, help="also write the results here")
    args = ap.parse_args()
    os.environ.setdefault("MOS_POLICY_PLUGIN", str(args.build / "cloud/plugin/mos_policy_plugin.so"))
    exe = bench_exe(args.build)

    with tempfile.TemporaryDirectory() as d:
        d = Path(d)
        t0 = time.monotonic()
        pki = Pki(d / "pki")
        ca = pki.ca("bench-ca")
        server = pki.cert("server", ca, san="DNS:localhost,IP:127.0.0.1")
        certs = client_certs(pki, ca)
        reg = Registry(d / "registry.db")
        reg.add_policy("bench", policy(
            allow("iot:Connect", f"{ARN}client/${{iot:ClientId}}"),
            allow(["iot:Publish", "iot:Receive"], f"{ARN}topic/bench/*"),
            allow("iot:Subscribe", f"{ARN}topicfilter/bench/*"),
            deny("iot:Publish", f"{ARN}topic/bench/forbidden/*")))
        for c in certs:
            reg.attach("bench", reg.add_cert(c))
        print(f"setup: {CLIENTS} client certificates and registry in {time.monotonic() - t0:.1f}s",
              file=sys.stderr)

        (d / "plain").mkdir()
        (d / "plugin").mkdir()
        plain = PolicyBroker(d / "plain", ca, server, plugin=False, quiet=True)
        withp = PolicyBroker(d / "plugin", ca, server, reg.path, quiet=True)
        results = {}
        cases = [("throughput QoS 0 (msg/s)", "throughput", {"qos": 0}),
                 ("throughput QoS 1 (msg/s)", "throughput", {"qos": 1}),
                 ("mTLS connections/s", "connect", {"parallel": 4})]
        with plain, withp:
            for title, mode, kw in cases:
                t = time.monotonic()
                res = run_bench(exe, mode, plain, withp, ca, pki.dir, args.seconds, args.windows, **kw)
                a, b = res["targets"]
                results[title] = {"plain": a, "plugin": b}
                print(f"  {title:26} plain  {' '.join(f'{x:8.0f}' for x in a['rates'])}\n"
                      f"  {'':26} plugin {' '.join(f'{x:8.0f}' for x in b['rates'])}"
                      f"   ({time.monotonic() - t:.0f}s)", file=sys.stderr)
            denials = withp.log_text().count("DENY")
        reg.close()

    print(f"\nBroker bench: {CLIENTS} clients over mTLS on 127.0.0.1; {args.windows} windows of "
          f"{args.seconds:g}s per broker, alternating plain/plugin (ABBA); medians")
    print("rate ratio = median over window pairs of plugin/plain rate; CPU ratio = plain/plugin broker "
          "CPU time per operation (the broker's capacity ratio)\n")
    print(f"| {'case':26} | {'plain':>9} | {'plugin':>9} | {'rate ratio':>10} | {'CPU us/op plain':>15} "
          f"| {'plugin':>8} | {'CPU ratio':>9} |")
    print(f"|{'-' * 28}|{'-' * 11}|{'-' * 11}|{'-' * 12}|{'-' * 17}|{'-' * 10}|{'-' * 11}|")
    summary = {}
    ok = True
    for title, res in results.items():
        pa, pb = res["plain"], res["plugin"]
        a, b = statistics.median(pa["rates"]), statistics.median(pb["rates"])
        # Ratio per adjacent window pair, then the median: robust to load bursts.
        ratio = statistics.median(y / x for x, y in zip(pa["rates"], pb["rates"]) if x > 0)
        ca_ = statistics.median(v for v in pa["cpu_us_per_op"] if v > 0)
        cb = statistics.median(v for v in pb["cpu_us_per_op"] if v > 0)
        cratio = ca_ / cb if cb else 0.0
        ok = ok and ratio >= 0.90
        summary[title] = {"plain": a, "plugin": b, "ratio": ratio, "cpu_us_plain": ca_,
                          "cpu_us_plugin": cb, "cpu_ratio": cratio, "raw": res}
        print(f"| {title:26} | {a:9.1f} | {b:9.1f} | {ratio * 100:9.1f}% | {ca_:15.1f} | {cb:8.1f} "
              f"| {cratio * 100:8.1f}% |")
    print("\ntarget: plugin >= 90 % of plain: " + ("met" if ok else "MISSED (see the CPU ratio: "
                                                       "rates are noisy on a loaded machine)"))
    print(f"\ndenials logged by the plugin during the bench: {denials} (expected 0)")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
