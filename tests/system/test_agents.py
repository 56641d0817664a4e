"""Agents signing in to the ACD and changing their state through the API, with their phone's
registration followed by the server (a baresip phone registering takes the agent into rotation)."""
import unittest

from harness import DemoServerTest, wait_until
from sip_peers import Baresip


class AgentApiTest(DemoServerTest):

    def agent(self, user):
        return self.server.login(user, "demo")

    def post(self, path, token, body=None):
        return self.server.request("POST", path, body=body, token=token)

    def listed(self, user):
        status, _, body = self.server.request("GET", "/api/v1/agents", token=self.admin)
        self.assertEqual(status, 200)
        return {a["agent"]: a for a in body["agents"]}.get(user)

    def test_sign_in_take_a_break_and_sign_out(self):
        token = self.agent("1003")
        self.assertEqual(self.listed("1003")["status"], "signed_out")
        status, _, body = self.post("/api/v1/agent/signin", token)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["status"], "idle")  # the demo agents start idle
        self.assertEqual(body["activity"], "none")
        self.assertFalse(body["phone_registered"])
        # Signing in again (a second browser tab) changes nothing.
        status, _, again = self.post("/api/v1/agent/signin", token)
        self.assertEqual((status, again["status"]), (200, "idle"))
        status, _, body = self.post("/api/v1/agent/state", token, {"state": "break",
                                                                   "reason": "lunch"})
        self.assertEqual(status, 200, body)
        self.assertEqual((body["status"], body["break_reason"]), ("break", "lunch"))
        listed = self.listed("1003")
        self.assertEqual((listed["status"], listed["break_reason"]), ("break", "lunch"))
        self.assertEqual(listed["name"], "Agent 1003")
        status, _, body = self.post("/api/v1/agent/signout", token)
        self.assertEqual((status, body["status"]), (200, "signed_out"))
        # Signed out: state changes are refused with a reason.
        status, _, body = self.post("/api/v1/agent/state", token, {"state": "idle"})
        self.assertEqual(status, 409, body)
        self.assertIn("error", body)

    def test_bad_requests_are_refused_with_the_field_named(self):
        token = self.agent("1004")
        self.assertEqual(self.post("/api/v1/agent/signin", token)[0], 200)
        status, _, body = self.post("/api/v1/agent/state", token, {"state": "asleep"})
        self.assertEqual(status, 400)
        self.assertEqual(body["error"]["field"], "state")
        status, _, body = self.post("/api/v1/agent/state", token, {"state": "idle", "x": 1})
        self.assertEqual(status, 400)
        # An administrator is no agent; a supervisor's list is not for agents.
        self.assertEqual(self.post("/api/v1/agent/signin", self.admin)[0], 403)
        self.assertEqual(self.server.request("GET", "/api/v1/agents", token=token)[0], 403)
        self.assertEqual(self.post("/api/v1/agent/signin", None)[0], 401)

    def test_the_phone_registering_is_followed(self):
        token = self.agent("1005")
        status, _, body = self.post("/api/v1/agent/signin", token)
        self.assertFalse(body["phone_registered"])
        phone = Baresip("<sip:1005@127.0.0.1:%d>;auth_pass=demo;regint=60;audio_codecs=pcmu"
                        % self.server.sip_port)
        self.addCleanup(phone.stop)
        self.assertIsNotNone(phone.wait_for("200 OK"), "".join(phone.lines))
        self.assertTrue(wait_until(lambda: self.listed("1005")["phone_registered"]))


if __name__ == "__main__":
    unittest.main()
