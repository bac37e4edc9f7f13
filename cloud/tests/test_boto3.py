"""boto3 (Debian python3-boto3) against mos-cloud: a provisioning flow like
`mos aws-iot-setup`, error codes as botocore parses them, and concurrent
clients that leave a consistent registry."""
import concurrent.futures
import tempfile
import unittest
from pathlib import Path

from botocore.exceptions import ClientError

import cloudtest
from cloudtest import POLICY_ALLOW_ALL, make_csr


class Boto3Test(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = cloudtest.Server().start()
        cls.iot = cls.srv.boto3("iot")
        cls.work = Path(tempfile.mkdtemp(prefix="mos-boto3-"))

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    def code(self, fn, **kw):
        with self.assertRaises(ClientError) as ctx:
            fn(**kw)
        return ctx.exception.response["Error"]["Code"], ctx.exception.response["ResponseMetadata"]["HTTPStatusCode"]

    def test_provisioning_flow(self):
        csr = make_csr(self.work, "esp8266_0A0B0C").read_text()
        cert = self.iot.create_certificate_from_csr(certificateSigningRequest=csr, setAsActive=True)
        self.iot.create_policy(policyName="mos-default", policyDocument=POLICY_ALLOW_ALL)
        self.iot.attach_policy(policyName="mos-default", target=cert["certificateArn"])
        self.iot.create_thing(thingName="esp8266_0A0B0C")
        self.iot.attach_thing_principal(thingName="esp8266_0A0B0C", principal=cert["certificateArn"])
        ep = self.iot.describe_endpoint(endpointType="iot:Data-ATS")["endpointAddress"]
        self.assertTrue(ep.startswith("localhost"))
        d = self.iot.describe_certificate(certificateId=cert["certificateId"])["certificateDescription"]
        self.assertEqual(d["status"], "ACTIVE")
        # botocore parsed the epoch timestamps into datetimes.
        self.assertEqual(d["creationDate"].year >= 2024, True)
        self.assertEqual(self.iot.list_attached_policies(target=cert["certificateArn"])["policies"][0]["policyName"],
                         "mos-default")
        self.assertEqual(self.code(self.iot.create_policy, policyName="mos-default", policyDocument=POLICY_ALLOW_ALL),
                         ("ResourceAlreadyExistsException", 409))

    def test_error_codes_and_statuses(self):
        self.assertEqual(self.code(self.iot.describe_thing, thingName="nope"), ("ResourceNotFoundException", 404))
        self.assertEqual(self.code(self.iot.create_policy, policyName="x", policyDocument="{}"),
                         ("MalformedPolicyException", 400))
        self.assertEqual(self.code(self.iot.create_certificate_from_csr, certificateSigningRequest="junk"),
                         ("InvalidRequestException", 400))
        bad = self.srv.boto3("iot", secret="nope")
        self.assertEqual(self.code(bad.list_things), ("InvalidSignatureException", 403))

    def test_concurrent_clients(self):
        csrs = [make_csr(self.work, f"conc{i}").read_text() for i in range(16)]

        def one(i):
            client = self.srv.boto3("iot")
            c = client.create_certificate_from_csr(certificateSigningRequest=csrs[i], setAsActive=True)
            client.create_thing(thingName=f"conc{i}")
            client.attach_thing_principal(thingName=f"conc{i}", principal=c["certificateArn"])
            return c["certificateId"]

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            ids = list(pool.map(one, range(16)))
        self.assertEqual(len(set(ids)), 16)
        listed = {c["certificateId"] for c in self.iot.list_certificates(pageSize=250)["certificates"]}
        self.assertTrue(set(ids) <= listed)
        for i in range(16):
            self.assertEqual(len(self.iot.list_thing_principals(thingName=f"conc{i}")["principals"]), 1)


if __name__ == "__main__":
    unittest.main()
