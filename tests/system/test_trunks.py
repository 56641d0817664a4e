"""Carrier trunks against the real server: registering with a carrier (SIPp as its registrar,
reached by a host name), and inbound trunks known by their source address and limited to their
numbers (DIDs), while other sources must authenticate."""
import os
import subprocess
import tempfile
import unittest

from harness import SOURCE_DIR, Server, free_port
from sip_peers import SCENARIOS, Baresip, sipp

CONFIG = """
[server]
demo = true
bind = "127.0.0.1"

[sip]
port = 5060
realm = "switchboard"
trusted_networks = []
auth_algorithms = ["MD5"]

[[trunks]]
name = "carrier"
host = "localhost"
port = {carrier_port}
register = true
username = "02150001234"
password = "s3cret"
register_expires_seconds = 120

[[trunks]]
name = "gateway"
inbound_networks = ["127.0.0.2/32"]
dids = ["1002"]
"""


class TrunkTest(unittest.TestCase):

    @classmethod
    def setUpClass(cls):
        cls.workdir = tempfile.mkdtemp(prefix="sb-trunks-")
        cls.carrier_port = free_port()
        # The carrier's registrar first, so the server's first REGISTER finds it.
        cls.carrier = subprocess.Popen(
            ["timeout", "-k", "2", "120", "sipp", "-sf",
             os.path.join(SCENARIOS, "uas-carrier-registrar.xml"), "-i", "127.0.0.1",
             "-p", str(cls.carrier_port), "-m", "1", "-nostdin", "-trace_err", "-trace_logs",
             "-cp", str(free_port())],
            cwd=cls.workdir, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        config = os.path.join(cls.workdir, "switchboard.toml")
        with open(config, "w") as f:
            f.write(CONFIG.format(carrier_port=cls.carrier_port))
        cls.server = Server(config=config, env={
            "SWITCHBOARD_STATIC_DIR": os.path.join(SOURCE_DIR, "web", "placeholder")}).start()
        cls.admin = cls.server.login("admin", "demo")

    @classmethod
    def tearDownClass(cls):
        cls.server.kill()  # test_2 stops it itself
        cls.server.cleanup()
        # SIGTERM to `timeout`, which passes it on to SIPp (SIGKILL would orphan SIPp).
        if cls.carrier.poll() is None:
            cls.carrier.terminate()
        try:
            cls.carrier.wait(10)
        except subprocess.TimeoutExpired:
            cls.carrier.kill()
            cls.carrier.wait()

    def trunks(self):
        status, _, body = self.server.request("GET", "/api/v1/sip/trunks", token=self.admin)
        self.assertEqual(status, 200)
        return {t["name"]: t for t in body["trunks"]}

    def test_1_inbound_trunk_may_call_its_numbers_only_and_others_must_authenticate(self):
        for user in ("1002", "1003"):
            agent = Baresip("<sip:%s@127.0.0.1:%d>;auth_pass=demo;regint=60;audio_codecs=pcmu"
                            % (user, self.server.sip_port))
            self.addCleanup(agent.stop)
            self.assertIsNotNone(agent.wait_for("200 OK"), "".join(agent.lines))
        # The gateway's DID rings the agent; no challenge (the scenario expects 180 at once).
        code, out = sipp(self.server, "uac-invite-cancel", service="1002", source_ip="127.0.0.2")
        self.assertEqual(code, 0, out)
        # Another agent's number from the gateway: 404 although its phone is registered.
        code, out = sipp(self.server, "uac-invite-unknown-number", service="1003",
                         source_ip="127.0.0.2")
        self.assertEqual(code, 0, out)
        # From anywhere else (not trusted here): the INVITE is challenged with 407.
        code, out = sipp(self.server, "uac-invite-challenged", service="1002",
                         source_ip="127.0.0.3")
        self.assertEqual(code, 0, out)


    def test_2_registers_with_the_carrier_and_unregisters_at_shutdown(self):
        line = self.server.wait_for(r"trunk carrier registration (registered|failed)")
        self.assertIsNotNone(line, self.server.output())
        self.assertIn("registered", line.group(1), line.string)
        carrier = self.trunks()["carrier"]
        self.assertEqual(carrier["registration"], "registered")
        self.assertEqual(carrier["registrar"], "127.0.0.1:%d" % self.carrier_port)
        self.assertEqual(self.trunks()["gateway"]["registration"], "off")
        # The un-REGISTER at shutdown completes the carrier's scenario: exit 0.
        self.assertEqual(self.server.stop(), 0)
        try:
            _, errors = self.carrier.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.carrier.terminate()
            _, errors = self.carrier.communicate()
        self.assertEqual(self.carrier.returncode, 0, errors)


if __name__ == "__main__":
    unittest.main()
