"""The real AWS CLI v2 against mos-cloud: every supported operation's happy
path and its documented errors (`--endpoint-url`, no network, no profile)."""
import hashlib
import json
import subprocess
import tempfile
import unittest
from pathlib import Path

import cloudtest
from cloudtest import POLICY_ALLOW_ALL, make_csr
import mostest


class AwsCliTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = cloudtest.Server().start()
        cls.work = Path(tempfile.mkdtemp(prefix="mos-cli-"))

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()
        subprocess.run(["rm", "-rf", str(cls.work)])

    def aws(self, *args, **kw):
        return self.srv.aws(*args, **kw)

    def assertAwsError(self, code, *args, **kw):
        p = self.srv.aws(*args, check=False, **kw)
        self.assertNotEqual(p.returncode, 0, f"{args} should fail with {code}")
        self.assertIn(f"An error occurred ({code}) when calling the", p.stderr)
        return p.stderr

    def new_cert(self, name, active=True):
        csr = make_csr(self.work, name)
        args = ["create-certificate-from-csr", "--certificate-signing-request", f"file://{csr}"]
        if active:
            args.append("--set-as-active")
        return self.aws(*args)

    # ---------------------------------------------------------------- certificates
    def test_csr_flow_certificate_verifies_against_ca(self):
        out = self.new_cert("csr-dev")
        for k in ("certificateArn", "certificateId", "certificatePem"):
            self.assertIn(k, out)
        pem = self.work / "csr-dev.pem"
        pem.write_text(out["certificatePem"])
        v = mostest.run(["openssl", "verify", "-CAfile", str(self.srv.dir / "ca.pem"), str(pem)])
        self.assertIn("OK", v.stdout)
        der = mostest.run(["openssl", "x509", "-in", str(pem), "-outform", "DER"], text=False).stdout
        self.assertEqual(out["certificateId"], hashlib.sha256(der).hexdigest())
        self.assertEqual(out["certificateArn"],
                         f"arn:aws:iot:us-east-1:123456789012:cert/{out['certificateId']}")
        subj = mostest.run(["openssl", "x509", "-in", str(pem), "-noout", "-subject"]).stdout
        self.assertIn("CN = csr-dev", subj)
        d = self.aws("describe-certificate", "--certificate-id", out["certificateId"])["certificateDescription"]
        self.assertEqual(d["status"], "ACTIVE")
        self.assertEqual(d["certificatePem"], out["certificatePem"])
        self.assertIn("notAfter", d["validity"])

    def test_rsa_2048_and_p384_accepted_weak_and_garbage_rejected(self):
        for name, kw in (("rsa2048", {"kind": "rsa", "bits": 2048}), ("p384", {"curve": "P-384"})):
            csr = make_csr(self.work, name, **kw)
            self.aws("create-certificate-from-csr", "--certificate-signing-request", f"file://{csr}")
        weak = make_csr(self.work, "rsa1024", kind="rsa", bits=1024)
        self.assertAwsError("InvalidRequestException", "create-certificate-from-csr",
                            "--certificate-signing-request", f"file://{weak}")
        self.assertAwsError("InvalidRequestException", "create-certificate-from-csr",
                            "--certificate-signing-request", "not a csr")

    def test_create_keys_and_certificate(self):
        out = self.aws("create-keys-and-certificate", "--set-as-active")
        self.assertIn("BEGIN PUBLIC KEY", out["keyPair"]["PublicKey"])
        self.assertIn("PRIVATE KEY", out["keyPair"]["PrivateKey"])
        key = self.work / "kc.key"
        key.write_text(out["keyPair"]["PrivateKey"])
        pem = self.work / "kc.pem"
        pem.write_text(out["certificatePem"])
        a = mostest.run(["openssl", "pkey", "-in", str(key), "-pubout"]).stdout
        b = mostest.run(["openssl", "x509", "-in", str(pem), "-noout", "-pubkey"]).stdout
        self.assertEqual(a, b)
        mostest.run(["openssl", "verify", "-CAfile", str(self.srv.dir / "ca.pem"), str(pem)])

    def test_list_certificates_paginates(self):
        ids = {self.new_cert(f"list{i}")["certificateId"] for i in range(3)}
        # --page-size is ListCertificates' own pageSize here, so the CLI turns
        # auto-pagination off: follow nextMarker by hand, one per page.
        listed, marker = [], None
        while True:
            page = self.aws("list-certificates", "--page-size", "1", *(["--marker", marker] if marker else []))
            self.assertLessEqual(len(page["certificates"]), 1)
            listed += page["certificates"]
            marker = page.get("nextMarker")
            if not marker:
                break
        self.assertEqual(len(listed), len({c["certificateId"] for c in listed}))
        self.assertTrue(ids <= {c["certificateId"] for c in listed})
        for c in listed:
            self.assertIn(c["status"], ("ACTIVE", "INACTIVE"))
            self.assertIn("creationDate", c)

    def test_update_and_delete_certificate_rules(self):
        out = self.new_cert("lifecycle")
        cid, arn = out["certificateId"], out["certificateArn"]
        self.assertAwsError("CertificateStateException", "delete-certificate", "--certificate-id", cid)
        self.aws("create-policy", "--policy-name", "lifecycle-pol", "--policy-document", POLICY_ALLOW_ALL)
        self.aws("attach-policy", "--policy-name", "lifecycle-pol", "--target", arn)
        self.aws("update-certificate", "--certificate-id", cid, "--new-status", "INACTIVE")
        self.assertEqual(self.aws("describe-certificate", "--certificate-id", cid)
                         ["certificateDescription"]["status"], "INACTIVE")
        self.assertAwsError("DeleteConflictException", "delete-certificate", "--certificate-id", cid)
        self.aws("detach-policy", "--policy-name", "lifecycle-pol", "--target", arn)
        self.aws("update-certificate", "--certificate-id", cid, "--new-status", "REVOKED")
        self.assertAwsError("CertificateStateException", "update-certificate", "--certificate-id", cid,
                            "--new-status", "ACTIVE")
        self.aws("delete-certificate", "--certificate-id", cid)
        self.assertAwsError("ResourceNotFoundException", "describe-certificate", "--certificate-id", cid)
        self.assertAwsError("ResourceNotFoundException", "update-certificate", "--certificate-id", cid,
                            "--new-status", "ACTIVE")
        self.assertAwsError("ResourceNotFoundException", "delete-certificate", "--certificate-id", cid)
        # forceDelete detaches policies (not things) of an inactive certificate.
        out = self.new_cert("forced", active=False)
        self.aws("attach-policy", "--policy-name", "lifecycle-pol", "--target", out["certificateArn"])
        self.aws("delete-certificate", "--certificate-id", out["certificateId"], "--force-delete")

    # ---------------------------------------------------------------- policies
    def test_policies_and_versions(self):
        out = self.aws("create-policy", "--policy-name", "pol1", "--policy-document", POLICY_ALLOW_ALL)
        self.assertEqual(out["policyVersionId"], "1")
        self.assertEqual(out["policyArn"], "arn:aws:iot:us-east-1:123456789012:policy/pol1")
        self.assertAwsError("ResourceAlreadyExistsException", "create-policy", "--policy-name", "pol1",
                            "--policy-document", POLICY_ALLOW_ALL)
        self.assertAwsError("MalformedPolicyException", "create-policy", "--policy-name", "bad",
                            "--policy-document", '{"Version":"2012-10-17","Statement":[{"Effect":"Maybe"}]}')
        self.assertAwsError("MalformedPolicyException", "create-policy", "--policy-name", "bad",
                            "--policy-document", "not json")
        got = self.aws("get-policy", "--policy-name", "pol1")
        self.assertEqual(got["defaultVersionId"], "1")
        self.assertEqual(json.loads(got["policyDocument"]), json.loads(POLICY_ALLOW_ALL))
        self.assertAwsError("ResourceNotFoundException", "get-policy", "--policy-name", "nope")
        self.assertIn("pol1", [p["policyName"] for p in self.aws("list-policies")["policies"]])
        doc2 = POLICY_ALLOW_ALL.replace("iot:*", "iot:Connect")
        for _ in range(4):
            v = self.aws("create-policy-version", "--policy-name", "pol1", "--policy-document", doc2,
                         "--set-as-default")
            self.assertTrue(v["isDefaultVersion"])
        self.assertAwsError("VersionsLimitExceededException", "create-policy-version", "--policy-name", "pol1",
                            "--policy-document", doc2)
        self.assertAwsError("ResourceNotFoundException", "create-policy-version", "--policy-name", "nope",
                            "--policy-document", doc2)
        self.assertAwsError("MalformedPolicyException", "create-policy-version", "--policy-name", "pol1",
                            "--policy-document", "{}")
        versions = self.aws("list-policy-versions", "--policy-name", "pol1")["policyVersions"]
        self.assertEqual(len(versions), 5)
        self.assertEqual([v["versionId"] for v in versions if v["isDefaultVersion"]], ["5"])
        self.assertEqual(self.aws("get-policy", "--policy-name", "pol1")["defaultVersionId"], "5")
        self.assertEqual(self.aws("get-policy-version", "--policy-name", "pol1", "--policy-version-id", "1")
                         ["policyDocument"], POLICY_ALLOW_ALL)
        self.aws("set-default-policy-version", "--policy-name", "pol1", "--policy-version-id", "1")
        self.assertAwsError("DeleteConflictException", "delete-policy-version", "--policy-name", "pol1",
                            "--policy-version-id", "1")
        self.assertAwsError("DeleteConflictException", "delete-policy", "--policy-name", "pol1")
        for v in ("2", "3", "4", "5"):
            self.aws("delete-policy-version", "--policy-name", "pol1", "--policy-version-id", v)
        self.aws("delete-policy", "--policy-name", "pol1")
        self.assertAwsError("ResourceNotFoundException", "delete-policy", "--policy-name", "pol1")
        self.assertAwsError("ResourceNotFoundException", "list-policy-versions", "--policy-name", "pol1")

    def test_attach_detach_and_list_policies(self):
        arn = self.new_cert("attach")["certificateArn"]
        self.aws("create-policy", "--policy-name", "att", "--policy-document", POLICY_ALLOW_ALL)
        self.aws("attach-policy", "--policy-name", "att", "--target", arn)
        self.aws("attach-policy", "--policy-name", "att", "--target", arn)  # idempotent, as AWS
        got = self.aws("list-attached-policies", "--target", arn)["policies"]
        self.assertEqual(got, [{"policyName": "att",
                                "policyArn": "arn:aws:iot:us-east-1:123456789012:policy/att"}])
        self.assertEqual(self.aws("list-targets-for-policy", "--policy-name", "att")["targets"], [arn])
        self.assertAwsError("DeleteConflictException", "delete-policy", "--policy-name", "att")
        self.assertAwsError("ResourceNotFoundException", "attach-policy", "--policy-name", "nope",
                            "--target", arn)
        self.assertAwsError("ResourceNotFoundException", "attach-policy", "--policy-name", "att",
                            "--target", arn[:-4] + "0000")
        self.aws("detach-policy", "--policy-name", "att", "--target", arn)
        self.assertEqual(self.aws("list-attached-policies", "--target", arn)["policies"], [])
        # The older principal-policy API (as in the AWS blog's era).
        self.aws("attach-principal-policy", "--policy-name", "att", "--principal", arn)
        self.assertEqual([p["policyName"] for p in self.aws("list-attached-policies", "--target", arn)["policies"]],
                         ["att"])
        self.assertEqual([p["policyName"] for p in
                          self.aws("list-principal-policies", "--principal", arn)["policies"]], ["att"])
        self.aws("detach-principal-policy", "--policy-name", "att", "--principal", arn)
        self.assertAwsError("ResourceNotFoundException", "attach-principal-policy", "--policy-name", "nope",
                            "--principal", arn)
        self.assertAwsError("InvalidRequestException", "attach-principal-policy", "--policy-name", "att",
                            "--principal", "not-an-arn")

    # ---------------------------------------------------------------- things
    def test_things_and_principals(self):
        out = self.aws("create-thing", "--thing-name", "esp8266_A1B2C3", "--attribute-payload",
                       '{"attributes":{"model":"nodemcu"}}')
        self.assertEqual(out["thingArn"], "arn:aws:iot:us-east-1:123456789012:thing/esp8266_A1B2C3")
        self.assertTrue(out["thingId"])
        again = self.aws("create-thing", "--thing-name", "esp8266_A1B2C3", "--attribute-payload",
                         '{"attributes":{"model":"nodemcu"}}')
        self.assertEqual(again["thingId"], out["thingId"])  # identical: returns the same thing
        self.assertAwsError("ResourceAlreadyExistsException", "create-thing", "--thing-name", "esp8266_A1B2C3")
        d = self.aws("describe-thing", "--thing-name", "esp8266_A1B2C3")
        self.assertEqual(d["attributes"], {"model": "nodemcu"})
        self.assertEqual(d["defaultClientId"], "esp8266_A1B2C3")
        self.assertAwsError("ResourceNotFoundException", "describe-thing", "--thing-name", "ghost")
        self.aws("create-thing", "--thing-name", "other")
        names = [t["thingName"] for t in self.aws("list-things")["things"]]
        self.assertIn("esp8266_A1B2C3", names)
        self.assertIn("other", names)
        filtered = self.aws("list-things", "--attribute-name", "model", "--attribute-value", "nodemcu")["things"]
        self.assertEqual([t["thingName"] for t in filtered], ["esp8266_A1B2C3"])
        arn = self.new_cert("thingcert")["certificateArn"]
        self.aws("attach-thing-principal", "--thing-name", "esp8266_A1B2C3", "--principal", arn)
        self.assertEqual(self.aws("list-thing-principals", "--thing-name", "esp8266_A1B2C3")["principals"], [arn])
        self.assertEqual(self.aws("list-principal-things", "--principal", arn)["things"], ["esp8266_A1B2C3"])
        self.assertAwsError("ResourceNotFoundException", "attach-thing-principal", "--thing-name", "ghost",
                            "--principal", arn)
        self.assertAwsError("ResourceNotFoundException", "list-thing-principals", "--thing-name", "ghost")
        self.assertAwsError("InvalidRequestException", "delete-thing", "--thing-name", "esp8266_A1B2C3")
        self.aws("detach-thing-principal", "--thing-name", "esp8266_A1B2C3", "--principal", arn)
        self.assertEqual(self.aws("list-thing-principals", "--thing-name", "esp8266_A1B2C3")["principals"], [])
        self.assertAwsError("VersionConflictException", "delete-thing", "--thing-name", "esp8266_A1B2C3",
                            "--expected-version", "7")
        self.aws("delete-thing", "--thing-name", "esp8266_A1B2C3")
        self.assertAwsError("ResourceNotFoundException", "describe-thing", "--thing-name", "esp8266_A1B2C3")
        self.assertAwsError("InvalidRequestException", "create-thing", "--thing-name", "bad/../name")
        self.assertAwsError("ResourceNotFoundException", "create-thing", "--thing-name", "typed",
                            "--thing-type-name", "NoSuchType")

    def test_describe_endpoint(self):
        out = self.aws("describe-endpoint", "--endpoint-type", "iot:Data-ATS")
        self.assertEqual(out["endpointAddress"], f"localhost:{self.srv.mqtt_port}")
        self.assertAwsError("InvalidRequestException", "describe-endpoint", "--endpoint-type", "iot:Bogus")

    # ---------------------------------------------------------------- SigV4
    def test_wrong_credentials_are_refused_with_403(self):
        err = self.assertAwsError("InvalidSignatureException", "list-things",
                                  env=cloudtest.aws_env(secret="wrong-secret"))
        self.assertIn("signature we calculated does not match", err)
        self.assertAwsError("UnrecognizedClientException", "list-things", env=cloudtest.aws_env(key="AKIDNOBODY"))
        self.assertAwsError("InvalidSignatureException", "list-things", env=cloudtest.aws_env(region="eu-west-1"))
        # And with --debug the CLI shows the status code AWS would send.
        p = self.srv.aws("--debug", "list-things", check=False, env=cloudtest.aws_env(secret="wrong-secret"))
        self.assertIn("403", p.stderr)


if __name__ == "__main__":
    unittest.main()
