"""Hostile and malformed requests against mos-cloud, signed correctly (so they
reach the API): each gets an AWS-shaped error, the daemon survives and the
registry stays intact."""
import json
import subprocess
import tempfile
import unittest
import urllib.error
import urllib.request
from pathlib import Path

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

import cloudtest
from cloudtest import POLICY_ALLOW_ALL, make_csr


class BadInputTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = cloudtest.Server().start()
        cls.work = Path(tempfile.mkdtemp(prefix="mos-bad-"))
        cls.srv.aws("create-thing", "--thing-name", "keeper")
        cls.srv.aws("create-policy", "--policy-name", "keeper", "--policy-document", POLICY_ALLOW_ALL)

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        subprocess.run(["rm", "-rf", str(cls.work)])

    def send(self, method, path, body=b"", sign=True, service="execute-api", headers=None):
        url = self.srv.url + path
        req = AWSRequest(method=method, url=url, data=body, headers=headers or {})
        if sign:
            SigV4Auth(Credentials(cloudtest.ACCESS_KEY, cloudtest.SECRET), service, "us-east-1").add_auth(req)
        prepared = req.prepare()
        r = urllib.request.Request(prepared.url, data=body or None, method=method, headers=dict(prepared.headers))
        try:
            with urllib.request.urlopen(r, timeout=10) as resp:
                return resp.status, dict(resp.headers), resp.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def expect(self, status, error_type, method, path, body=b"", **kw):
        code, headers, data = self.send(method, path, body, **kw)
        self.assertEqual(code, status, f"{method} {path}: {data[:200]!r}")
        self.assertEqual(headers.get("x-amzn-ErrorType"), error_type)
        self.assertIn("message", json.loads(data))
        self.assertTrue(self.srv.alive())

    def test_table(self):
        weak = make_csr(self.work, "weak", kind="rsa", bits=1024).read_text()
        p521 = make_csr(self.work, "p521", curve="P-521").read_text()
        forged = make_csr(self.work, "forged").read_text()
        # Flip one base64 character inside the signature near the end.
        i = forged.index("-----END") - 6
        forged = forged[:i] + ("A" if forged[i] != "A" else "B") + forged[i + 1:]
        table = [
            (400, "InvalidRequestException", "POST", "/things/ok1", b"{not json"),
            (400, "InvalidRequestException", "POST", "/things/ok1", b"[1,2,3]"),
            (400, "InvalidRequestException", "POST", "/things/ok1", b'{"attributePayload": 5}'),
            (400, "InvalidRequestException", "POST", "/certificates", b'{"certificateSigningRequest": 7}'),
            (400, "InvalidRequestException", "POST", "/certificates", b"{}"),
            (413, "RequestEntityTooLargeException", "POST", "/things/big", b"{" + b" " * 300_000 + b"}"),
            (400, "InvalidRequestException", "POST", "/things/..%2F..%2Fetc%2Fpasswd", b""),
            (400, "InvalidRequestException", "POST", "/things/%2E%2E", b""),
            (400, "InvalidRequestException", "POST", "/things/a%20b", b""),
            (400, "InvalidRequestException", "POST", "/things/%3Cscript%3E", b""),
            (400, "InvalidRequestException", "POST", "/things/" + "x" * 129, b""),
            (400, "InvalidRequestException", "POST", "/things/a%00b", b""),
            (400, "InvalidRequestException", "POST", "/things/a%zz", b""),
            (400, "InvalidRequestException", "POST", "/policies/a%2Fb", json.dumps({"policyDocument": POLICY_ALLOW_ALL}).encode()),
            (400, "InvalidRequestException", "GET", "/certificates/..%2F..%2Fregistry.db", b""),
            (400, "InvalidRequestException", "GET", "/certificates?pageSize=100000", b""),
            (400, "InvalidRequestException", "GET", "/certificates?marker=abc", b""),
            (400, "InvalidRequestException", "POST", "/certificates",
             json.dumps({"certificateSigningRequest": weak}).encode()),
            (400, "InvalidRequestException", "POST", "/certificates",
             json.dumps({"certificateSigningRequest": p521}).encode()),
            (400, "InvalidRequestException", "POST", "/certificates",
             json.dumps({"certificateSigningRequest": forged}).encode()),
            (400, "InvalidRequestException", "POST", "/certificates",
             json.dumps({"certificateSigningRequest": "-----BEGIN CERTIFICATE REQUEST-----\n!!!\n"}).encode()),
            (400, "MalformedPolicyException", "POST", "/policies/bad",
             json.dumps({"policyDocument": '{"Version":"2012-10-17"}'}).encode()),
            (400, "MalformedPolicyException", "POST", "/policies/bad",
             json.dumps({"policyDocument": '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"iot:*","Resource":"*","Bogus":1}]}'}).encode()),
            (400, "MalformedPolicyException", "POST", "/policies/bad",
             json.dumps({"policyDocument": "x" * 5000}).encode()),
            (404, "UnknownOperationException", "GET", "/no-such-operation", b""),
            (404, "UnknownOperationException", "DELETE", "/endpoint", b""),
        ]
        for status, error_type, method, path, body in table:
            with self.subTest(path=path[:60], body=body[:40]):
                self.expect(status, error_type, method, path, body)

    def test_unsigned_and_wrong_service(self):
        self.expect(403, "MissingAuthenticationTokenException", "GET", "/things", sign=False)
        self.expect(403, "InvalidSignatureException", "GET", "/things", service="s3")
        self.expect(403, "InvalidSignatureException", "POST", "/topics/a", b"x", service="execute-api")
        code, _, data = self.send("GET", "/things", headers={"Authorization": "AWS4-HMAC-SHA256 garbage"}, sign=False)
        self.assertEqual(code, 403)

    def test_registry_is_intact_afterwards(self):
        self.test_table()
        self.assertTrue(self.srv.alive())
        names = [t["thingName"] for t in self.srv.aws("list-things")["things"]]
        self.assertIn("keeper", names)
        self.assertNotIn("big", names)
        self.assertIn("keeper", [p["policyName"] for p in self.srv.aws("list-policies")["policies"]])
        self.assertNotIn("bad", [p["policyName"] for p in self.srv.aws("list-policies")["policies"]])
        check = subprocess.run(["sqlite3", str(self.srv.dir / "registry.db"), "PRAGMA integrity_check;"],
                               capture_output=True, text=True)
        if check.returncode == 0:  # the sqlite3 CLI is optional
            self.assertEqual(check.stdout.strip(), "ok")


if __name__ == "__main__":
    unittest.main()
