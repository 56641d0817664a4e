"""SIP against the real server: SIPp scenarios, baresip as an agent phone, the RFC 4475 torture
messages over UDP, and scanners (sipvicious) that must get banned and learn nothing."""
import json
import os
import re
import socket
import subprocess
import tempfile
import unittest

from harness import SOURCE_DIR, DemoServerTest, Server
from sip_peers import Baresip, UdpClient, header_of, options_request, sipp, status_of

TORTURE = os.path.join(SOURCE_DIR, "tests", "unit", "sip", "torture")


class SipTest(DemoServerTest):

    def registrations(self):
        status, _, body = self.server.request("GET", "/api/v1/registrations", token=self.admin)
        self.assertEqual(status, 200)
        return body["registrations"]

    def metric(self, pattern):
        _, _, text = self.server.request("GET", "/metrics")
        m = re.search(pattern + r" (\d+)", text)
        return int(m.group(1)) if m else 0

    def test_register_with_digest_then_unregister_over_udp_and_tcp(self):
        for transport in ("u1", "t1"):
            before = self.metric(r'sb_sip_register_total\{result="ok"\}')
            code, out = sipp(self.server, "uac-register", service="1002", password="demo",
                             transport=transport)
            self.assertEqual(code, 0, out)
            self.assertEqual(self.metric(r'sb_sip_register_total\{result="ok"\}'), before + 2)
            self.assertNotIn("1002", [r["user"] for r in self.registrations()])

    def test_wrong_password_is_refused(self):
        code, out = sipp(self.server, "uac-register-wrong-password", service="1003", password="wrong")
        self.assertEqual(code, 0, out)
        self.assertNotIn("1003", [r["user"] for r in self.registrations()])

    def test_options_is_answered(self):
        code, out = sipp(self.server, "uac-options")
        self.assertEqual(code, 0, out)

    def test_invite_to_an_unknown_number_gets_404(self):
        code, out = sipp(self.server, "uac-invite-unknown-number", service="88888")
        self.assertEqual(code, 0, out)

    def test_retransmissions_are_absorbed(self):
        client = UdpClient(self.server)
        try:
            request = options_request(client.port, "z9hG4bK-retrans-1", "retrans-1")
            client.send(request)
            first = client.receive()
            client.send(request)
            again = client.receive()
            self.assertEqual(status_of(first), 200)
            self.assertEqual(first, again)  # the same answer, To tag included: one transaction
            invite = (request.replace(b"OPTIONS sip:127.0.0.1", b"INVITE sip:99999@127.0.0.1")
                      .replace(b"1 OPTIONS", b"1 INVITE").replace(b"retrans-1", b"retrans-2"))
            client.send(invite)
            # Refused while it is handled: the 404 comes without a 100 Trying before it.
            self.assertEqual(status_of(client.receive()), 404)
            client.send(invite)  # a late retransmission: the 404 again, no second transaction
            self.assertEqual(status_of(client.receive()), 404)
        finally:
            client.close()
        self.assertGreaterEqual(self.metric(r"sb_sip_messages_received_total"), 4)

    def test_a_malformed_request_gets_400_naming_the_problem(self):
        client = UdpClient(self.server)
        try:
            bad = (b"OPTIONS sip:127.0.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKbad1\r\n"
                   b"From: <sip:a@b>;tag=1\r\nTo: <sip:c@d>\r\nCall-ID: bad1\r\nCSeq: 1 OPTIONS\r\n"
                   b"Content-Length: 99\r\n\r\n" % client.port)
            client.send(bad)
            reply = client.receive()
            self.assertEqual(status_of(reply), 400)
            self.assertIn(b"Content-Length", reply.split(b"\r\n")[0])
            self.assertEqual(header_of(reply, "Call-ID"), "bad1")
        finally:
            client.close()

    def test_rfc4475_torture_messages_get_their_answers(self):
        manifest = json.load(open(os.path.join(TORTURE, "manifest.json")))
        client = UdpClient(self.server)
        failures = []
        try:
            for i, m in enumerate(manifest["messages"]):
                data = open(os.path.join(TORTURE, m["name"] + ".dat"), "rb").read()
                client.send(data)
                # A sentinel behind each message: whatever answers come before the sentinel's
                # belong to the torture message, so absence is observed, not waited for.
                sentinel = "sentinel-%d" % i
                client.send(options_request(client.port, "z9hG4bK" + sentinel, sentinel))
                answers = []
                while True:
                    reply = client.receive()
                    if header_of(reply, "Call-ID") == sentinel:
                        break
                    if status_of(reply) != 100:
                        answers.append(status_of(reply))
                expected = {int(c) for c in m["expected"] + m["also_ok"] if c.isdigit()}
                got = answers[0] if answers else None
                if m["kind"] == "response":
                    ok = got is None
                elif m["name"] == "zeromf":
                    ok = got == 200  # a UAS answers Max-Forwards: 0 normally
                elif m["class"] == "invalid" and m["liberal_ok"]:
                    ok = True
                elif m["class"] == "invalid":
                    ok = got is None or 400 <= got < 500  # refused, or dropped when unanswerable
                elif m["class"] == "semantic":
                    ok = got in expected or (got is None and m["none_ok"])
                else:  # valid: the code the RFC names, or a sensible answer (2543 fallback)
                    sensible = got is not None and got != 400 and got < 500
                    ok = got in expected or sensible
                if m["name"] in ("badinv01", "badvers", "clerr", "ncl", "scalar02", "quotbal"):
                    ok = ok and got is not None  # these carry what an answer needs
                if not ok:
                    failures.append("%s: got %s, expected %s" % (m["name"], got, sorted(expected)))
        finally:
            client.close()
        self.assertEqual(failures, [])
        status, _, _ = self.server.request("GET", "/healthz")
        self.assertEqual(status, 200)

    def test_baresip_registers_as_agent_1001(self):
        phone = Baresip("<sip:1001@127.0.0.1:%d>;auth_pass=demo;regint=60;audio_codecs=pcmu"
                        % self.server.sip_port)
        try:
            line = phone.wait_for("200 OK")
            self.assertIsNotNone(line, "".join(phone.lines))
            self.assertIn("1 binding", line)
            mine = [r for r in self.registrations() if r["user"] == "1001"]
            self.assertEqual(len(mine), 1)
            self.assertIn("baresip", mine[0]["user_agent"])
            self.assertEqual(mine[0]["transport"], "udp")
        finally:
            # baresip tries to unregister as it quits but gives up after a short timer of its
            # own; unregistering is tested with SIPp, whose timing the test controls.
            phone.stop()

    def test_registrations_need_a_supervisor_or_admin(self):
        agent = self.server.login("1004", "demo")
        status, _, _ = self.server.request("GET", "/api/v1/registrations", token=agent)
        self.assertEqual(status, 403)
        supervisor = self.server.login("1000", "demo")
        status, _, _ = self.server.request("GET", "/api/v1/registrations", token=supervisor)
        self.assertEqual(status, 200)


class DualStackTest(unittest.TestCase):
    """SIP on IPv4 and IPv6 loopback at once, UDP and TCP on each."""

    def test_options_is_answered_on_every_address(self):
        server = Server(env={"SWITCHBOARD_SIP_ADDRESSES": "127.0.0.1,::1"}).start()
        try:
            for family, host in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
                for kind in (socket.SOCK_DGRAM, socket.SOCK_STREAM):
                    with socket.socket(family, kind) as s:
                        s.settimeout(5)
                        s.connect((host, server.sip_port))
                        port = s.getsockname()[1]
                        transport = "UDP" if kind == socket.SOCK_DGRAM else "TCP"
                        sent_by = "[%s]" % host if family == socket.AF_INET6 else host
                        call_id = "ds-%d-%d" % (family, kind)
                        request = options_request(port, "z9hG4bK-" + call_id, call_id).replace(
                            b"SIP/2.0/UDP 127.0.0.1", ("SIP/2.0/%s %s" % (transport, sent_by))
                            .encode())
                        s.sendall(request)
                        answer = s.recv(65536)
                        self.assertEqual(status_of(answer), 200, (host, kind, answer))
        finally:
            server.stop()
            server.cleanup()


class ScannerTest(unittest.TestCase):
    """sipvicious against the server: enumeration learns nothing, cracking gets the source banned."""

    def setUp(self):
        self.server = Server().start()
        self.admin = self.server.login("admin", "demo")
        self.workdir = tempfile.mkdtemp(prefix="sb-scan-")

    def tearDown(self):
        self.server.stop()
        self.server.cleanup()

    def run_tool(self, *args):
        proc = subprocess.run(["timeout", "-k", "2", "60", *args], cwd=self.workdir,
                              capture_output=True, text=True)
        return proc.stdout + proc.stderr

    def found_extensions(self, output):
        return set(re.findall(r"\|\s*(\d+)\s*\|\s*(\w+)", output))

    def test_scanners_learn_nothing_and_get_banned(self):
        from harness import free_port
        port = str(self.server.sip_port)
        out = self.run_tool("svwar", "-p", port, "-P", str(free_port()), "-m", "REGISTER",
                            "-e", "995-1012", "--maximumtime=15", "127.0.0.1")
        self.assertIn("found nothing", out)
        # Forced on, it reports every id the same way, existing or not.
        out = self.run_tool("svwar", "-p", port, "-P", str(free_port()), "-m", "REGISTER",
                            "-e", "998-1003", "--force", "--maximumtime=15", "127.0.0.1")
        found = self.found_extensions(out)
        statuses = {status for _, status in found}
        self.assertLessEqual(len(statuses), 1, out)
        if found:
            self.assertIn("998", {ext for ext, _ in found}, out)  # 998 does not exist
        out = self.run_tool("svwar", "-p", port, "-P", str(free_port()), "-m", "INVITE",
                            "-e", "995-1012", "--maximumtime=15", "127.0.0.1")
        self.assertNotIn("| 1001", out)

        words = ["guess%d" % i for i in range(12)] + ["demo"]
        with open(os.path.join(self.workdir, "dict.txt"), "w") as f:
            f.write("\n".join(words) + "\n")
        out = self.run_tool("svcrack", "-p", port, "-P", str(free_port()), "-u", "1001",
                            "-d", "dict.txt", "--maximumtime=10", "127.0.0.1")
        self.assertNotIn("| demo", out)
        status, _, body = self.server.request("GET", "/api/v1/sip/bans", token=self.admin)
        self.assertEqual(status, 200)
        self.assertIn("127.0.0.1", [b["address"] for b in body["bans"]])

        # Banned: even the right password gets no answer, until an administrator lifts the ban.
        code, _ = sipp(self.server, "uac-options", timeout=3)
        self.assertNotEqual(code, 0)
        status, _, _ = self.server.request("DELETE", "/api/v1/sip/bans/127.0.0.1", token=self.admin)
        self.assertEqual(status, 204)
        code, out = sipp(self.server, "uac-register", service="1001", password="demo")
        self.assertEqual(code, 0, out)


if __name__ == "__main__":
    unittest.main()
