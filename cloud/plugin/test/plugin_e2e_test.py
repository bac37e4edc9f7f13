"""End to end: real Mosquitto + mos_policy_plugin.so + mosquitto_pub/sub over
mutual TLS, with a registry.db written directly (no mos-cloud needed)."""
from __future__ import annotations

import sys
import tempfile
import time
import unittest
from pathlib import Path

from mostest import Pki, Subscriber, wait_until
from plugin_fixture import (ARN, PolicyBroker, Registry, allow, cert_id, client_args, deny, policy,
                            pub)


class PluginEndToEnd(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = tempfile.TemporaryDirectory()
        pki = Pki(Path(cls.tmp.name) / "pki")
        cls.ca = pki.ca("plugin-test-ca")
        cls.server = pki.cert("server", cls.ca, san="DNS:localhost,IP:127.0.0.1")
        cls.dev1 = pki.cert("dev1", cls.ca)
        cls.dev2 = pki.cert("dev2", cls.ca, kind="rsa")
        cls.watcher = pki.cert("watcher", cls.ca)
        cls.stranger = pki.cert("stranger", cls.ca)
        cls.dataplane = pki.cert("mos-cloud-dataplane", cls.ca)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.tmp.cleanup()

    def setUp(self) -> None:
        self.work = tempfile.TemporaryDirectory()
        self.reg = Registry(Path(self.work.name) / "registry.db")
        self.broker = PolicyBroker(self.work.name, self.ca, self.server, self.reg.path,
                                   dataplane_sha256=cert_id(self.dataplane)).start()
        self.subs: list[Subscriber] = []

    def tearDown(self) -> None:
        for s in self.subs:
            s.stop()
        self.broker.stop()
        self.reg.close()
        self.work.cleanup()

    # -- helpers --
    def pub(self, cert, client_id, topic, message="m"):
        return pub(self.broker, self.ca, cert, client_id, topic, message)

    def subscribe(self, cert, client_id, topic_filter, extra=()) -> Subscriber:
        mark = self.broker.log_size()
        s = Subscriber([*client_args(self.broker, self.ca, cert, client_id), "-t", topic_filter, "-v",
                        *extra])
        self.subs.append(s)
        self.broker.wait_log(f"Sending SUBACK to {client_id}", start=mark)
        return s

    def watcher_allowed(self) -> None:
        """'watcher' may subscribe to and receive everything."""
        arn = self.reg.add_cert(self.watcher)
        self.reg.add_policy("watch-all", policy(allow("iot:*", "*")))
        self.reg.attach("watch-all", arn)

    # -- connect --
    def test_unregistered_certificate_is_refused_and_logged(self):
        r = self.pub(self.stranger, "s1", "a")
        self.assertNotEqual(r.returncode, 0, r.stdout + r.stderr)
        self.assertIn("not authorised", (r.stdout + r.stderr).lower())
        line = self.broker.wait_log("DENY iot:Connect")
        self.assertIn(f"principal={cert_id(self.stranger)}", line)
        self.assertIn(f"resource={ARN}client/s1", line)
        self.assertIn("certificate is not registered", line)

    def test_no_policy_attached_is_refused(self):
        self.reg.add_cert(self.dev1)
        r = self.pub(self.dev1, "dev1", "a")
        self.assertNotEqual(r.returncode, 0)
        line = self.broker.wait_log("DENY iot:Connect")
        self.assertIn("client=dev1", line)
        self.assertIn("no statement allows", line)

    def test_inactive_certificate_is_refused(self):
        arn = self.reg.add_cert(self.dev1, status="INACTIVE")
        self.reg.add_policy("all", policy(allow("iot:*", "*")))
        self.reg.attach("all", arn)
        r = self.pub(self.dev1, "dev1", "a")
        self.assertNotEqual(r.returncode, 0)
        line = self.broker.wait_log("DENY iot:Connect")
        self.assertIn("certificate status is INACTIVE, not ACTIVE", line)
        self.assertIn(f"update-certificate --certificate-id {cert_id(self.dev1)} --new-status ACTIVE", line)

    def test_revoked_certificate_hint_says_what_works(self):
        # UpdateCertificate refuses REVOKED -> ACTIVE, so the hint must not suggest it.
        arn = self.reg.add_cert(self.dev1, status="REVOKED")
        self.reg.add_policy("all", policy(allow("iot:*", "*")))
        self.reg.attach("all", arn)
        r = self.pub(self.dev1, "dev1", "a")
        self.assertNotEqual(r.returncode, 0)
        line = self.broker.wait_log("DENY iot:Connect")
        self.assertIn("certificate status is REVOKED, not ACTIVE", line)
        self.assertNotIn("--new-status ACTIVE", line)
        self.assertIn("create a new certificate: mos aws-iot-setup", line)
        self.assertIn("aws iot create-keys-and-certificate --set-as-active", line)

    def test_connect_policy_uses_client_id_variable(self):
        arn = self.reg.add_cert(self.dev1)
        self.reg.add_policy("own-id", policy(allow("iot:Connect", f"{ARN}client/${{iot:ClientId}}"),
                                             allow("iot:Publish", "*")))
        self.reg.attach("own-id", arn)
        # client/${iot:ClientId} allows any id for its own connection...
        self.assertEqual(self.pub(self.dev1, "dev1", "t").returncode, 0)
        # ...but a policy naming one client allows only that one.
        self.reg.add_policy("only-dev9", policy(allow("iot:Connect", f"{ARN}client/dev9")))
        self.reg.db.execute("DELETE FROM principal_policies")
        self.reg.attach("only-dev9", arn)
        self.assertNotEqual(self.pub(self.dev1, "dev1", "t").returncode, 0)
        self.assertEqual(self.pub(self.dev1, "dev9", "t").returncode, 0)

    # -- publish / receive / subscribe --
    def test_policy_limits_publishes_to_own_topics_and_logs_denials(self):
        self.watcher_allowed()
        arn = self.reg.add_cert(self.dev1)
        self.reg.add_policy("dev-own", policy(
            allow("iot:Connect", f"{ARN}client/${{iot:ClientId}}"),
            allow("iot:Publish", f"{ARN}topic/dev/${{iot:ClientId}}/*")))
        self.reg.attach("dev-own", arn)
        sub = self.subscribe(self.watcher, "watcher", "dev/#")
        self.assertEqual(self.pub(self.dev1, "dev1", "dev/dev1/temp", "ok-1").returncode, 0)
        r = self.pub(self.dev1, "dev1", "dev/dev2/temp", "stolen")
        self.assertEqual(r.returncode, 0, "a denied QoS 1 publish is acknowledged and dropped")
        self.assertEqual(self.pub(self.dev1, "dev1", "dev/dev1/more", "ok-2").returncode, 0)
        wait_until(lambda: len(sub.messages()) >= 2, what="two allowed messages")
        line = self.broker.wait_log("DENY iot:Publish")
        self.assertIn(f"principal={cert_id(self.dev1)} client=dev1", line)
        self.assertIn(f"resource={ARN}topic/dev/dev2/temp: no statement allows", line)
        time.sleep(0.3)
        self.assertEqual(sub.messages(), ["dev/dev1/temp ok-1", "dev/dev1/more ok-2"])

    def test_explicit_deny_wins_and_names_the_policy(self):
        self.watcher_allowed()
        arn = self.reg.add_cert(self.dev1)
        self.reg.add_policy("allow-all", policy(allow("iot:*", "*")))
        self.reg.add_policy("no-secrets", policy(deny("iot:Publish", f"{ARN}topic/secret/*")))
        self.reg.attach("allow-all", arn)
        self.reg.attach("no-secrets", arn)
        sub = self.subscribe(self.watcher, "watcher", "#")
        self.pub(self.dev1, "dev1", "secret/x", "hidden")
        self.pub(self.dev1, "dev1", "public/x", "shown")
        wait_until(lambda: sub.messages(), what="public message")
        self.assertIn("denied by policy no-secrets statement 1", self.broker.wait_log("DENY iot:Publish"))
        self.assertEqual(sub.messages(), ["public/x shown"])

    def test_subscribe_filter_plus_and_hash_are_literal(self):
        arn = self.reg.add_cert(self.dev1)
        self.reg.add_policy("sub", policy(allow("iot:Connect", "*"),
                                          allow("iot:Subscribe", f"{ARN}topicfilter/dev/+/temp"),
                                          allow("iot:Receive", f"{ARN}topic/dev/*")))
        self.reg.attach("sub", arn)
        # The exact filter dev/+/temp is allowed...
        self.subscribe(self.dev1, "dev1", "dev/+/temp")
        self.assertNotIn("DENY iot:Subscribe", self.broker.log_text())
        # ...dev/a/temp is not: '+' in the policy is not an MQTT wildcard.
        mark = self.broker.log_size()
        self.subscribe(self.dev1, "dev1b", "dev/a/temp")
        line = self.broker.wait_log("DENY iot:Subscribe", start=mark)
        self.assertIn(f"resource={ARN}topicfilter/dev/a/temp: no statement allows", line)

    def test_receive_is_checked_per_delivery(self):
        arn = self.reg.add_cert(self.dev1)
        self.reg.add_policy("rx", policy(allow(["iot:Connect", "iot:Subscribe", "iot:Publish"], "*"),
                                         allow("iot:Receive", f"{ARN}topic/in/ok")))
        self.reg.attach("rx", arn)
        sub = self.subscribe(self.dev1, "dev1", "in/#")
        self.pub(self.dev1, "pub1", "in/blocked", "no")
        self.pub(self.dev1, "pub1", "in/ok", "yes")
        wait_until(lambda: sub.messages(), what="in/ok delivered")
        line = self.broker.wait_log("DENY iot:Receive")
        self.assertIn(f"client=dev1 resource={ARN}topic/in/blocked", line)
        self.assertEqual(sub.messages(), ["in/ok yes"])

    def test_thing_name_variable_needs_an_attached_thing(self):
        arn = self.reg.add_cert(self.dev1)
        self.reg.add_policy("thing", policy(
            allow("iot:Connect", f"{ARN}client/${{iot:Connection.Thing.ThingName}}"),
            allow("iot:Publish", f"{ARN}topic/rooms/${{iot:Connection.Thing.Attributes[room]}}")))
        self.reg.attach("thing", arn)
        self.reg.add_thing("lamp1", {"room": "kitchen"}, principal_arn=arn)
        self.reg.add_thing("lamp2", {"room": "hall"})  # not attached to dev1
        self.assertEqual(self.pub(self.dev1, "lamp1", "rooms/kitchen").returncode, 0)
        self.assertNotEqual(self.pub(self.dev1, "lamp2", "rooms/hall").returncode, 0)
        mark = self.broker.log_size()
        self.pub(self.dev1, "lamp1", "rooms/hall")
        self.assertIn("topic/rooms/hall: no statement allows", self.broker.wait_log("DENY iot:Publish", start=mark))

    def test_dataplane_certificate_publishes_anywhere(self):
        self.watcher_allowed()
        sub = self.subscribe(self.watcher, "watcher", "any/#")
        r = self.pub(self.dataplane, "mos-cloud-dataplane", "any/where", "from-https")
        self.assertEqual(r.returncode, 0, r.stderr)
        wait_until(lambda: sub.messages(), what="data-plane message")
        self.assertEqual(sub.messages(), ["any/where from-https"])

    # -- live sessions --
    def _kick_case(self, change, expect: str):
        arn = self.reg.add_cert(self.dev1)
        self.reg.add_policy("all", policy(allow("iot:*", "*")))
        self.reg.attach("all", arn)
        sub = self.subscribe(self.dev1, "dev1", "x/#")
        mark = self.broker.log_size()
        t0 = time.monotonic()
        change()
        line = self.broker.wait_log("KICK", timeout=2.0, start=mark)
        elapsed = time.monotonic() - t0
        self.assertIn(f"client=dev1: certificate {expect}", line)
        self.assertLess(elapsed, 1.0, f"kicked after {elapsed:.3f}s")
        print(f"\n  kicked {elapsed * 1000:.0f} ms after the registry change", file=sys.stderr)
        # mosquitto_sub reconnects and is refused: it gives up with "not authorised".
        wait_until(lambda: sub.proc.poll() is not None, timeout=10, what="mosquitto_sub to give up")
        self.assertIn("DENY iot:Connect", self.broker.log_text()[mark:])
        self.assertNotEqual(self.pub(self.dev1, "dev1", "x/y").returncode, 0)
        return elapsed

    def test_revoked_certificate_is_kicked_within_1s_and_refused(self):
        self._kick_case(lambda: self.reg.set_status(self.dev1, "REVOKED"), "is now REVOKED")

    def test_inactive_certificate_is_kicked_within_1s(self):
        self._kick_case(lambda: self.reg.set_status(self.dev1, "INACTIVE"), "is now INACTIVE")

    def test_deleted_certificate_is_kicked_within_1s(self):
        def delete():
            self.reg.db.execute("DELETE FROM principal_policies")
            self.reg.delete_cert(self.dev1)
        self._kick_case(delete, "was deleted")

    def test_other_sessions_survive_a_revocation(self):
        arn1 = self.reg.add_cert(self.dev1)
        arn2 = self.reg.add_cert(self.dev2)
        self.reg.add_policy("all", policy(allow("iot:*", "*")))
        self.reg.attach("all", arn1)
        self.reg.attach("all", arn2)
        s1 = self.subscribe(self.dev1, "dev1", "x/#")
        s2 = self.subscribe(self.dev2, "dev2", "x/#")
        self.reg.set_status(self.dev1, "REVOKED")
        self.broker.wait_log("KICK", timeout=2.0)
        wait_until(lambda: s1.proc.poll() is not None, timeout=10, what="dev1 to be gone")
        self.assertEqual(self.pub(self.dev2, "dev2-pub", "x/still").returncode, 0)
        wait_until(lambda: s2.messages(), what="dev2 still receiving")
        self.assertIsNone(s2.proc.poll())


if __name__ == "__main__":
    unittest.main()
