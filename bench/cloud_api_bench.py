#!/usr/bin/env python3
"""mos-cloud control-plane bench (not a ctest): CreateCertificateFromCsr per
second with boto3 (1 and N client threads, CSRs generated beforehand), and the
latency of the API part of provisioning (`mos aws-iot-setup`: CSR -> cert,
policy get-or-create, AttachPolicy, CreateThing, AttachThingPrincipal,
DescribeEndpoint).

Usage: bench/cloud_api_bench.py [--count 200] [--threads 4] [--mos-cloud PATH]
Starts its own mos-cloud on a free port in a temporary data dir."""
import argparse
import concurrent.futures
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "testing"))
sys.path.insert(0, str(REPO / "cloud" / "tests"))
import cloudtest  # noqa: E402
import mostest  # noqa: E402

from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ec  # noqa: E402
from cryptography import x509  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402


def make_csrs(n):
    out = []
    for i in range(n):
        key = ec.generate_private_key(ec.SECP256R1())
        csr = (x509.CertificateSigningRequestBuilder()
               .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"bench_{i:06d}")]))
               .sign(key, hashes.SHA256()))
        out.append(csr.public_bytes(serialization.Encoding.PEM).decode())
    return out


def rate(srv, csrs, threads):
    clients = [srv.boto3("iot") for _ in range(threads)]
    chunks = [csrs[i::threads] for i in range(threads)]

    def work(k):
        for c in chunks[k]:
            clients[k].create_certificate_from_csr(certificateSigningRequest=c, setAsActive=True)

    t0 = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        list(pool.map(work, range(threads)))
    return len(csrs) / (time.perf_counter() - t0)


def provisioning(srv, csrs):
    iot = srv.boto3("iot")
    times = []
    for i, csr in enumerate(csrs):
        t0 = time.perf_counter()
        cert = iot.create_certificate_from_csr(certificateSigningRequest=csr, setAsActive=True)
        try:
            iot.get_policy(policyName="mos-default")
        except iot.exceptions.ResourceNotFoundException:
            iot.create_policy(policyName="mos-default", policyDocument=cloudtest.POLICY_ALLOW_ALL)
        iot.attach_policy(policyName="mos-default", target=cert["certificateArn"])
        iot.create_thing(thingName=f"prov_{i}")
        iot.attach_thing_principal(thingName=f"prov_{i}", principal=cert["certificateArn"])
        iot.describe_endpoint(endpointType="iot:Data-ATS")
        times.append((time.perf_counter() - t0) * 1000)
    return times


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--mos-cloud", default=cloudtest.MOS_CLOUD)
    args = ap.parse_args()
    cloudtest.MOS_CLOUD = args.mos_cloud
    srv = cloudtest.Server().start()
    try:
        csrs = make_csrs(args.count * 2 + 20)
        one = rate(srv, csrs[:args.count], 1)
        many = rate(srv, csrs[args.count:2 * args.count], args.threads)
        lat = provisioning(srv, csrs[2 * args.count:])
        q = statistics.quantiles(lat, n=20)
        print(f"CreateCertificateFromCsr (boto3, EC P-256 CSRs, {args.count} each):")
        print(f"  1 client:            {one:8.1f} certificates/s")
        print(f"  {args.threads} client threads:    {many:8.1f} certificates/s")
        print(f"provisioning API sequence (6 calls, boto3, {len(lat)} devices): "
              f"median {statistics.median(lat):.1f} ms, p95 {q[18]:.1f} ms, max {max(lat):.1f} ms")
    finally:
        srv.stop()


if __name__ == "__main__":
    main()
