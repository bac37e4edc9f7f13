"""The web console's server side end to end (cloud/console/README.md): mos-cloud
serve with Mosquitto and the policy plugin, the REST routes over HTTP and
HTTPS, and the live channel over a real WebSocket (python3-websocket): two
tabs sharing the console's one broker connection, a device made through the
AWS API talking MQTT, a revoked certificate dropping it from the connected
list, and the security rules (cookie, Origin, X-Mos-Console, no session
fixation)."""
from __future__ import annotations

import http.client
import json
import ssl
import subprocess
import time
import unittest
from pathlib import Path

import cloudtest
import mostest

try:
    import websocket  # python3-websocket (scripts/setup.sh)
except ImportError:  # pragma: no cover
    websocket = None

LOGIN = {"accessKeyId": cloudtest.ACCESS_KEY, "secretAccessKey": cloudtest.SECRET}


@unittest.skipIf(websocket is None, "python3-websocket is not installed (scripts/setup.sh)")
class ConsoleTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.srv = cloudtest.Server(broker=True).start()
        cls.origin = f"http://127.0.0.1:{cls.srv.port}"
        # A device: a certificate from the AWS API, allowed everything.
        cls.iot = iot = cls.srv.boto3()
        made = iot.create_keys_and_certificate(setAsActive=True)
        cls.dev_id = made["certificateId"]
        cls.dev_arn = made["certificateArn"]
        cls.dev_cert = cls.srv.dir / "dev1.pem"
        cls.dev_key = cls.srv.dir / "dev1.key"
        cls.dev_cert.write_text(made["certificatePem"])
        cls.dev_key.write_text(made["keyPair"]["PrivateKey"])
        iot.create_policy(policyName="dev-all", policyDocument=cloudtest.POLICY_ALLOW_ALL)
        iot.attach_policy(policyName="dev-all", target=cls.dev_arn)
        iot.create_thing(thingName="dev1")
        iot.attach_thing_principal(thingName="dev1", principal=cls.dev_arn)

    @classmethod
    def tearDownClass(cls):
        cls.srv.stop()

    # -- HTTP helpers --
    def request(self, method, path, body=None, headers=None, tls=False):
        if tls:
            ctx = ssl.create_default_context(cafile=self.srv.ca_file)
            conn = http.client.HTTPSConnection("localhost", self.srv.https_port, context=ctx, timeout=10)
        else:
            conn = http.client.HTTPConnection("127.0.0.1", self.srv.port, timeout=10)
        data = body if isinstance(body, (bytes, type(None))) else json.dumps(body).encode()
        conn.request(method, path, body=data, headers=headers or {})
        r = conn.getresponse()
        raw = r.read()
        conn.close()
        return r.status, dict((k.lower(), v) for k, v in r.getheaders()), raw

    def post(self, path, body, token=None, tls=False, origin=None):
        h = {"X-Mos-Console": "1", "Content-Type": "application/json",
             "Origin": origin or (f"https://localhost:{self.srv.https_port}" if tls else self.origin)}
        if token:
            h["Cookie"] = f"mos_console={token}"
        return self.request("POST", path, body, h, tls)

    def get(self, path, token=None):
        return self.request("GET", path, headers={"Cookie": f"mos_console={token}"} if token else {})

    def login(self, tls=False):
        status, h, body = self.post("/console/api/login", LOGIN, tls=tls)
        self.assertEqual(status, 200, body)
        return h["set-cookie"].split(";")[0].split("=", 1)[1]

    def ws(self, token, origin=None, **kw):
        url = f"ws://127.0.0.1:{self.srv.port}/console/api/live"
        return websocket.create_connection(url, timeout=10, cookie=f"mos_console={token}",
                                           origin=origin or self.origin, **kw)

    # -- live helpers --
    def frames_until(self, ws, pred, timeout=10.0, what="a frame"):
        """Reads frames until pred(frame) holds; returns every frame read."""
        seen = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            ws.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                f = json.loads(ws.recv())
            except websocket.WebSocketTimeoutException:
                break
            seen.append(f)
            if pred(f):
                return seen
        raise AssertionError(f"no {what} within {timeout}s; got {seen}\n{self.srv.broker_log()[-2000:]}")

    def request_reply(self, ws, req):
        ws.send(json.dumps(req))
        return self.frames_until(ws, lambda f: f.get("id") == req["id"], what=f"the reply to {req}")[-1]

    def device_sub(self, client_id, topic):
        return mostest.Subscriber(["-h", "localhost", "-p", str(self.srv.mqtt_port), "--cafile", self.srv.ca_file,
                                   "--cert", str(self.dev_cert), "--key", str(self.dev_key), "-i", client_id,
                                   "-t", topic, "-v", "-q", "1"])

    def device_pub(self, client_id, topic, payload):
        subprocess.run(["mosquitto_pub", "-h", "localhost", "-p", str(self.srv.mqtt_port), "--cafile",
                        self.srv.ca_file, "--cert", str(self.dev_cert), "--key", str(self.dev_key), "-i", client_id,
                        "-t", topic, "-m", payload, "-q", "1"], check=True, timeout=20)

    # -- tests --
    def test_static_page_and_headers(self):
        status, h, _ = self.request("GET", "/console")
        self.assertEqual((status, h["location"]), (301, "/console/"))
        status, h, body = self.request("GET", "/console/")
        self.assertEqual(status, 200)
        self.assertEqual(h["content-type"], "text/html; charset=utf-8")
        self.assertIn(b"<html", body)
        self.assertIn("frame-ancestors 'none'", h["content-security-policy"])
        self.assertEqual(h["x-content-type-options"], "nosniff")
        self.assertEqual(h["referrer-policy"], "no-referrer")
        # The AWS API still answers everything else as before.
        status, _, body = self.request("GET", "/things")
        self.assertEqual(status, 403)
        self.assertIn(b"message", body)
        self.assertEqual(self.request("GET", "/ca.pem")[0], 200)

    def test_every_api_route_and_the_live_channel_need_a_login(self):
        for path in ("things", "certificates", "policies", "connections", "denials", "live", "session", "x"):
            for cookie in (None, "0" * 64, "not-a-token"):
                status, h, body = self.get(f"/console/api/{path}", cookie)
                self.assertEqual(status, 401, (path, cookie, body))
                self.assertEqual(json.loads(body)["message"], "Log in first.")
                self.assertEqual(h["cache-control"], "no-store")
        with self.assertRaises(websocket.WebSocketBadStatusException) as e:
            self.ws("0" * 64)
        self.assertEqual(e.exception.status_code, 401)

    def test_login_rules(self):
        status, _, body = self.post("/console/api/login", {"accessKeyId": cloudtest.ACCESS_KEY,
                                                           "secretAccessKey": "wrong"})
        self.assertEqual(status, 401)
        self.assertEqual(json.loads(body)["message"], "Wrong access key ID or secret access key. Use the local "
                                                      "cloud's credentials (mos cloud status prints them).")
        status, _, body = self.post("/console/api/login", bytes(range(256)) * 256)  # 64 KiB of junk
        self.assertEqual(status, 413, body)
        # No X-Mos-Console: what a form on another site sends.
        status, _, _ = self.request("POST", "/console/api/login", LOGIN, {"Origin": self.origin})
        self.assertEqual(status, 403)
        status, _, _ = self.post("/console/api/login", LOGIN, origin="http://evil.example")
        self.assertEqual(status, 403)
        # Session fixation: a planted token is never accepted, a login makes its own.
        planted = "ab" * 32
        status, h, _ = self.post("/console/api/login", LOGIN, token=planted)
        self.assertEqual(status, 200)
        issued = h["set-cookie"].split(";")[0].split("=", 1)[1]
        self.assertNotEqual(issued, planted)
        self.assertEqual(h["set-cookie"], f"mos_console={issued}; Path=/console; HttpOnly; SameSite=Strict")
        self.assertEqual(self.get("/console/api/session", planted)[0], 401)
        self.assertEqual(self.get("/console/api/session", issued)[0], 200)
        # POST with the cookie but without the header: 403, nothing changes.
        other = self.iot.create_keys_and_certificate(setAsActive=True)["certificateId"]
        status, _, _ = self.request("POST", f"/console/api/certificates/{other}/status", {"status": "INACTIVE"},
                                    {"Cookie": f"mos_console={issued}", "Origin": self.origin})
        self.assertEqual(status, 403)
        self.assertEqual(self.iot.describe_certificate(certificateId=other)
                         ["certificateDescription"]["status"], "ACTIVE")
        # Logout ends it.
        self.assertEqual(self.post("/console/api/logout", {}, token=issued)[0], 200)
        self.assertEqual(self.get("/console/api/session", issued)[0], 401)

    def test_over_https_the_cookie_is_secure(self):
        status, h, body = self.post("/console/api/login", LOGIN, tls=True)
        self.assertEqual(status, 200, body)
        self.assertTrue(h["set-cookie"].endswith("; Secure"), h["set-cookie"])
        status, h, body = self.request("GET", "/console/", tls=True)
        self.assertEqual(status, 200)
        self.assertIn("default-src 'self'", h["content-security-policy"])

    def test_live_origin_is_checked(self):
        token = self.login()
        for origin in ("http://evil.example", f"http://127.0.0.1:{self.srv.port + 1}"):
            with self.assertRaises(websocket.WebSocketBadStatusException) as e:
                self.ws(token, origin=origin)
            self.assertEqual(e.exception.status_code, 403)
        with self.assertRaises(websocket.WebSocketBadStatusException) as e:
            self.ws(token, suppress_origin=True)
        self.assertEqual(e.exception.status_code, 403)

    def test_registry_pages(self):
        token = self.login()
        status, _, body = self.get("/console/api/things", token)
        self.assertEqual(status, 200)
        things = json.loads(body)["things"]
        self.assertIn({"name": "dev1", "arn": f"arn:aws:iot:us-east-1:123456789012:thing/dev1", "attributes": {},
                       "principals": [self.dev_arn]}, things)
        certs = {c["id"]: c for c in json.loads(self.get("/console/api/certificates", token)[2])["certificates"]}
        self.assertEqual(certs[self.dev_id]["things"], ["dev1"])
        self.assertEqual(certs[self.dev_id]["policies"], ["dev-all"])
        console = [c for c in certs.values() if c["subject"] == "CN=mos-cloud-console"]
        self.assertEqual(len(console), 1)
        self.assertEqual(console[0]["status"], "ACTIVE")
        self.assertEqual(console[0]["policies"], ["mos-cloud-console"])
        policies = {p["name"]: p for p in json.loads(self.get("/console/api/policies", token)[2])["policies"]}
        self.assertEqual(policies["dev-all"]["document"], json.loads(cloudtest.POLICY_ALLOW_ALL))
        self.assertEqual(policies["dev-all"]["targets"], [self.dev_arn])
        self.assertEqual(policies["dev-all"]["defaultVersionId"], "1")
        conns = json.loads(self.get("/console/api/connections", token)[2])["connections"]
        me = [c for c in conns if c["clientId"] == "mos-cloud-console"]
        self.assertEqual(len(me), 1, conns)
        self.assertTrue(me[0]["service"])
        self.assertEqual(me[0]["certificateId"], console[0]["id"])

    def test_live_two_tabs_a_device_and_a_revocation(self):
        token = self.login()
        a, b = self.ws(token), self.ws(token)
        try:
            # Each tab gets the connected clients when it opens.
            for tab in (a, b):
                first = self.frames_until(tab, lambda f: f["type"] == "connections", what="the connections list")
                self.assertIn("mos-cloud-console", [c["clientId"] for c in first[-1]["connections"]])
            self.assertEqual(self.request_reply(a, {"op": "subscribe", "filter": "/response", "qos": 1, "id": 1}),
                             {"type": "subscribed", "filter": "/response", "qos": 1, "id": 1})
            self.assertEqual(self.request_reply(b, {"op": "subscribe", "filter": "dev/#", "id": "b1"})["type"],
                             "subscribed")
            bad = self.request_reply(a, {"op": "subscribe", "filter": "a/#/b", "id": 2})
            self.assertEqual(bad["message"], "Invalid topic filter 'a/#/b': '#' must be the last level.")
            big = self.request_reply(a, {"op": "publish", "topic": "/request", "payload": "x" * 200000, "id": 3})
            self.assertEqual(big["message"], "The payload is 200000 bytes; AWS IoT Core's limit is 131072 bytes.")

            sub = self.device_sub("dev1", "/request")
            try:
                # The device shows up live, with its thing.
                seen = self.frames_until(a, lambda f: f["type"] == "connections" and any(
                    c["clientId"] == "dev1" for c in f["connections"]), what="dev1 in the connections")
                dev = [c for c in seen[-1]["connections"] if c["clientId"] == "dev1"][0]
                self.assertEqual(dev, {"clientId": "dev1", "certificateId": self.dev_id, "thingName": "dev1",
                                       "connectedAt": dev["connectedAt"]})
                # The page publishes the seed's message; the device gets it as typed.
                msg = "{gpio: {pin: 2, state: 0}}"
                self.assertEqual(self.request_reply(a, {"op": "publish", "topic": "/request", "payload": msg,
                                                        "qos": 1, "id": 4}),
                                 {"type": "published", "topic": "/request", "id": 4})
                mostest.wait_until(lambda: f"/request {msg}" in sub.messages(), timeout=10, what="the device's message")
                # The device answers; only the tab subscribed to /response sees it.
                self.device_pub("dev1-pub", "/response", '{"type":"gpio","pin":2,"state":0}')
                got = self.frames_until(a, lambda f: f["type"] == "message", what="the device's reply")[-1]
                self.assertEqual(got["topic"], "/response")
                self.assertEqual(got["payload"], '{"type":"gpio","pin":2,"state":0}')
                self.assertEqual(got["qos"], 1)
                self.assertFalse(got["retain"])
                self.assertLess(abs(got["time"] - time.time() * 1000), 10000)
                self.device_pub("dev1-pub", "dev/1/state", "<b>html stays text</b>")
                got = self.frames_until(b, lambda f: f["type"] == "message", what="dev/1/state on tab b")[-1]
                self.assertEqual(got["payload"], "<b>html stays text</b>")

                # Revoke the device's certificate from the console: both tabs
                # hear it, and the plugin drops the device off the list.
                status, _, body = self.post(f"/console/api/certificates/{self.dev_id}/status",
                                            {"status": "REVOKED"}, token=token)
                self.assertEqual(status, 200, body)
                self.assertEqual(json.loads(body)["status"], "REVOKED")
                # (The two frames may come in either order: the watcher reads
                # the connections before the certificates in each round.)
                def revoked(f):
                    return f["type"] == "certificate" and f["certificate"]["id"] == self.dev_id and \
                        f["certificate"]["status"] == "REVOKED"

                def dropped(f):
                    return f["type"] == "connections" and "dev1" not in [c["clientId"] for c in f["connections"]]

                for tab in (a, b):
                    seen = []
                    self.frames_until(tab, lambda f: seen.append(f) or (any(map(revoked, seen)) and
                                                                        any(map(dropped, seen))),
                                      what="the certificate frame and dev1 dropping off the connections")
                status, _, body = self.post(f"/console/api/certificates/{self.dev_id}/status",
                                            {"status": "ACTIVE"}, token=token)
                self.assertEqual(status, 406)
                self.assertIn("a revoked certificate cannot change status", json.loads(body)["message"])
            finally:
                sub.stop()

            # The console's own policy decides: detached, new subscriptions are refused.
            iot = self.iot
            console_arn = [c for c in json.loads(self.get("/console/api/certificates", token)[2])["certificates"]
                           if c["subject"] == "CN=mos-cloud-console"][0]["arn"]
            iot.detach_policy(policyName="mos-cloud-console", target=console_arn)
            try:
                def refused():
                    r = self.request_reply(b, {"op": "subscribe", "filter": f"late/{time.monotonic_ns()}", "id": "r"})
                    return r if r["type"] == "error" else None
                r = mostest.wait_until(refused, timeout=10, what="the refusal")
                self.assertIn("(SUBACK 0x80)", r["message"])
                self.assertIn("mos cloud denials --client-id mos-cloud-console", r["message"])
            finally:
                iot.attach_policy(policyName="mos-cloud-console", target=console_arn)

            # Logging out closes the live channels of that login.
            self.post("/console/api/logout", {}, token=token)
            a.settimeout(5)
            with self.assertRaises((websocket.WebSocketConnectionClosedException, ConnectionError)):
                for _ in range(100):
                    a.recv()
        finally:
            a.close()
            b.close()

    def test_denials_rest_and_live(self):
        token = self.login()
        ws = self.ws(token)
        try:
            self.frames_until(ws, lambda f: f["type"] == "connections", what="the connections list")
            # A certificate with no policy: the plugin refuses its CONNECT and records why.
            made = self.iot.create_keys_and_certificate(setAsActive=True)
            cert, key = self.srv.dir / "nopolicy.pem", self.srv.dir / "nopolicy.key"
            cert.write_text(made["certificatePem"])
            key.write_text(made["keyPair"]["PrivateKey"])
            p = subprocess.run(["mosquitto_pub", "-h", "localhost", "-p", str(self.srv.mqtt_port), "--cafile",
                                self.srv.ca_file, "--cert", str(cert), "--key", str(key), "-i", "no-policy-dev",
                                "-t", "x", "-m", "x"], capture_output=True, text=True, timeout=20)
            self.assertNotEqual(p.returncode, 0)
            seen = self.frames_until(ws, lambda f: f["type"] == "denial" and f["denial"]["clientId"] == "no-policy-dev",
                                     what="the denial frame")
            d = seen[-1]["denial"]
            self.assertEqual(d["action"], "iot:Connect")
            self.assertEqual(d["certificateId"], made["certificateId"])
            self.assertTrue(d["resource"].endswith("client/no-policy-dev"), d)
            self.assertTrue(d["reason"])
            self.assertLess(abs(d["time"] - time.time() * 1000), 60000)
            status, _, body = self.get("/console/api/denials?clientId=no-policy-dev&limit=5", token)
            self.assertEqual(status, 200, body)
            listed = json.loads(body)["denials"]
            self.assertEqual(listed[0], d)
            status, _, body = self.get(f"/console/api/denials?certificateId={made['certificateId'][:8]}", token)
            self.assertEqual(json.loads(body)["denials"][0]["id"], d["id"])
            self.assertEqual(self.get("/console/api/denials?limit=0", token)[0], 400)
        finally:
            ws.close()

    def test_live_protocol_errors(self):
        token = self.login()
        ws = self.ws(token)
        try:
            ws.send("not json")
            f = self.frames_until(ws, lambda f: f["type"] == "error")[-1]
            self.assertIn("not a JSON object", f["message"])
            r = self.request_reply(ws, {"op": "dance", "id": 9})
            self.assertEqual(r["message"], "Unknown op 'dance'; use subscribe, unsubscribe or publish.")
            r = self.request_reply(ws, {"op": "unsubscribe", "filter": "never", "id": 10})
            self.assertEqual(r, {"type": "unsubscribed", "filter": "never", "id": 10})
        finally:
            ws.close()


if __name__ == "__main__":
    unittest.main()
