"""Our SigV4 requests for AWS IoT (tools/aws sign_request, cloud/sigv4 signer)
against botocore's SigV4Auth on the same inputs: same method, URL, headers,
body, credentials and time must give the same Authorization header."""
from __future__ import annotations

import datetime
import json
import os
import subprocess
import unittest
from unittest import mock

from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

TOOL = os.environ.get("MOS_AWS_SIGN_TOOL", "")
URL = "https://iot.us-east-1.amazonaws.com"
NOW = 1764620000  # 2025-12-01T20:13:20Z
KEY, SECRET = "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

CSR = "-----BEGIN CERTIFICATE REQUEST-----\nMIIBADCBpwIBADAZMRcwFQYDVQQDDA5lc3A4MjY2XzAxMDIwMzBZ\n-----END CERTIFICATE REQUEST-----\n"
CASES = [
    # (name, method, target, body, extra headers) as IotClient sends them
    ("CreateCertificateFromCsr", "POST", "/certificates?setAsActive=true",
     json.dumps({"certificateSigningRequest": CSR}, separators=(",", ":")), []),
    ("GetPolicy", "GET", "/policies/mos-default", "", []),
    ("CreatePolicy", "POST", "/policies/mos-default", json.dumps({"policyDocument": "{\"Version\":\"2012-10-17\"}"}), []),
    ("AttachPolicy", "PUT", "/target-policies/mos-default",
     json.dumps({"target": "arn:aws:iot:us-east-1:123456789012:cert/abc"}), []),
    ("AttachThingPrincipal", "PUT", "/things/esp8266_010203/principals", "",
     [["x-amzn-principal", "arn:aws:iot:us-east-1:123456789012:cert/abc"]]),
    ("DescribeEndpoint", "GET", "/endpoint?endpointType=iot%3AData-ATS", "", []),
    ("OddName", "GET", "/things/a%20b%2Fc", "", []),
]


def ours(method, target, body, headers, token=""):
    p = subprocess.run([TOOL], input=json.dumps({
        "url": URL, "method": method, "target": target, "body": body, "headers": headers,
        "key": KEY, "secret": SECRET, "token": token, "region": "us-east-1", "now": NOW}),
        capture_output=True, text=True, check=True)
    return json.loads(p.stdout)


def frozen_time():
    """botocore's clock fixed at NOW (newer botocore: get_current_datetime;
    Debian 12's 1.29: datetime.datetime.utcnow)."""
    import botocore.auth
    when = datetime.datetime.fromtimestamp(NOW, datetime.timezone.utc).replace(tzinfo=None)
    if hasattr(botocore.auth, "get_current_datetime"):
        return mock.patch("botocore.auth.get_current_datetime", return_value=when)
    fake = mock.MagicMock(wraps=datetime)
    fake.datetime.utcnow.return_value = when
    return mock.patch("botocore.auth.datetime", fake)


def botocore_sign(method, target, body, headers, token=None, content_type=True):
    hdrs = {n: v for n, v in headers}
    if body and content_type:
        hdrs["Content-Type"] = "application/json"
    req = AWSRequest(method=method, url=URL + target, data=body.encode() if body else b"", headers=hdrs)
    with frozen_time():
        SigV4Auth(Credentials(KEY, SECRET, token), "execute-api", "us-east-1").add_auth(req)
    return req.headers


@unittest.skipUnless(TOOL, "MOS_AWS_SIGN_TOOL not set (run through ctest)")
class SignLikeBotocore(unittest.TestCase):
    def check(self, name, method, target, body, extra, token=None):
        mine = ours(method, target, body, extra, token or "")
        theirs = botocore_sign(method, target, body, extra, token)
        got = {k.lower(): v for k, v in mine["headers"]}
        self.assertEqual(got["x-amz-date"], theirs["X-Amz-Date"], name)
        self.assertEqual(got["authorization"], theirs["Authorization"], name)
        if token:
            self.assertEqual(got["x-amz-security-token"], theirs["X-Amz-Security-Token"], name)

    def test_iot_calls(self):
        for case in CASES:
            with self.subTest(case[0]):
                self.check(*case)

    def test_session_token(self):
        self.check("GetPolicy+token", "GET", "/policies/mos-default", "", [], token="FQoGZXIvYXdzEXAMPLETOKEN==")

    def test_scope_is_execute_api(self):
        auth = {k.lower(): v for k, v in ours("GET", "/endpoint", "", [])["headers"]}["authorization"]
        self.assertIn("/us-east-1/execute-api/aws4_request", auth)

    def test_different_secret_differs(self):
        # The comparison can fail: botocore with another secret gives another signature.
        mine = {k.lower(): v for k, v in ours("GET", "/policies/x", "", [])["headers"]}
        req = AWSRequest(method="GET", url=URL + "/policies/x", data=b"")
        with frozen_time():
            SigV4Auth(Credentials(KEY, SECRET + "x", None), "execute-api", "us-east-1").add_auth(req)
        self.assertNotEqual(mine["authorization"], req.headers["Authorization"])


if __name__ == "__main__":
    unittest.main()
