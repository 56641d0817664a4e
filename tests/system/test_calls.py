"""Calls to agents' phones through the real server: SIPp as the caller (cancel before answer,
reliable provisionals, answer and hang-up) and baresip as the phones, with the audio checked as
it comes through the server's media engine."""
import glob
import os
import re
import subprocess
import threading
import tempfile
import unittest

from audio import make_tone, samples, tone_level
from harness import SOURCE_DIR, DemoServerTest, Server
from sip_peers import Baresip, sipp


class CallTest(DemoServerTest):

    def phone(self, user, **options):
        """A baresip phone registered as `user` (password "demo"); answers at once with
        answer=True."""
        account = "<sip:%s@127.0.0.1:%d>;auth_pass=demo;regint=60;audio_codecs=pcmu%s" % (
            user, self.server.sip_port, ";answermode=auto" if options.pop("answer", False) else "")
        phone = Baresip(account, **options)
        self.addCleanup(phone.stop)
        self.assertIsNotNone(phone.wait_for("200 OK"), "".join(phone.lines))
        return phone

    def test_cancel_before_answer_gets_487(self):
        agent = self.phone("1002")
        code, out = sipp(self.server, "uac-invite-cancel", service="1002")
        self.assertEqual(code, 0, out)
        # The phone really rang, and the CANCEL reached it.
        self.assertIsNotNone(agent.wait_for("Incoming call from:"), "".join(agent.lines))
        self.assertIsNotNone(agent.wait_for("session closed"), "".join(agent.lines))

    def test_caller_requiring_100rel_gets_a_reliable_180_and_its_prack_answered(self):
        self.phone("1003")
        code, out = sipp(self.server, "uac-invite-100rel-cancel", service="1003")
        self.assertEqual(code, 0, out)

    def test_agent_without_a_phone_looks_like_an_unknown_number(self):
        # 1009 exists but has no phone registered: 404 like 88888, so INVITE scans learn nothing.
        for number in ("88888", "1009"):
            code, out = sipp(self.server, "uac-invite-unknown-number", service=number)
            self.assertEqual(code, 0, out)

    def test_answered_call_is_hung_up_by_the_caller(self):
        agent = self.phone("1004", answer=True)
        code, out = sipp(self.server, "uac-call-bye", service="1004")
        self.assertEqual(code, 0, out)
        self.assertIsNotNone(agent.wait_for("Call established"), "".join(agent.lines))
        # baresip prints "session closed" for the BYE; its "Call ... terminated" line may not come.
        self.assertIsNotNone(agent.wait_for("session closed"), "".join(agent.lines))

    def test_phone_calls_phone_and_each_hears_the_other(self):
        tones = tempfile.mkdtemp(prefix="sb-tones-")
        caller_tone, agent_tone = os.path.join(tones, "1k.wav"), os.path.join(tones, "440.wav")
        make_tone(caller_tone, 1000, 3)
        make_tone(agent_tone, 440, 6)
        agent = self.phone("1005", answer=True, microphone=agent_tone)
        # The caller authenticates its INVITE (407) like its REGISTER, and hangs up when its
        # 3 s tone ends; the BYE must reach the agent through the server.
        caller = self.phone("1006", microphone=caller_tone,
                            command="/dial sip:1005@127.0.0.1:%d" % self.server.sip_port)
        self.assertIsNotNone(caller.wait_for("Call established"), "".join(caller.lines))
        self.assertIsNotNone(caller.wait_for("aufile: end of file"), "".join(caller.lines))
        self.assertIsNotNone(agent.wait_for("session closed"), "".join(agent.lines))
        agent.stop()
        caller.stop()
        # The media is anchored: each phone receives RTP from the server's RTP range (the demo's
        # 20000-29999), not from the other phone.
        for phone in (agent, caller):
            line = phone.wait_for("receiving from", timeout=1)
            self.assertIsNotNone(line, "".join(phone.lines))
            port = int(re.search(r"receiving from [0-9.]+:(\d+)", line).group(1))
            self.assertTrue(20000 <= port <= 29999, line)
        heard_by_agent = self.longest_recording(agent)
        heard_by_caller = self.longest_recording(caller)
        self.assertGreater(tone_level(heard_by_agent, 1000), -3)
        self.assertLess(tone_level(heard_by_agent, 440), -20)
        self.assertGreater(tone_level(heard_by_caller, 440), -3)
        self.assertLess(tone_level(heard_by_caller, 1000), -20)

    def longest_recording(self, phone):
        """What the phone received in its longest call (baresip's sndfile "-dec" dump)."""
        files = glob.glob(os.path.join(phone.recordings, "*-dec.wav"))
        self.assertTrue(files, "no recording in " + phone.recordings)
        return max(files, key=lambda f: len(samples(f)[0]))


class DeadPhoneTest(unittest.TestCase):
    """A phone that dies in a call (no BYE) must not keep the call, or its agent, for ever."""

    def setUp(self):
        self.workdir = tempfile.mkdtemp(prefix="sb-deadphone-")
        config = os.path.join(self.workdir, "switchboard.toml")
        with open(os.path.join(SOURCE_DIR, "config", "demo.toml")) as demo:
            text = demo.read()
        with open(config, "w") as f:
            f.write(re.sub(r"^timeout_seconds = \d+", "timeout_seconds = 2", text, flags=re.M))
        self.server = Server(config=config, env={
            "SWITCHBOARD_STATIC_DIR": os.path.join(SOURCE_DIR, "web", "placeholder")}).start()

    def tearDown(self):
        self.server.stop()
        self.server.cleanup()

    def test_a_killed_phone_is_hung_up_after_the_rtp_timeout(self):
        agent = Baresip("<sip:1007@127.0.0.1:%d>;auth_pass=demo;regint=60;answermode=auto;"
                        "audio_codecs=pcmu" % self.server.sip_port)
        self.addCleanup(agent.stop)
        self.assertIsNotNone(agent.wait_for("200 OK"), "".join(agent.lines))
        result = {}
        caller = threading.Thread(target=lambda: result.update(
            zip(("code", "out"), sipp(self.server, "uac-call-wait-bye", service="1007",
                                        timeout=30))))
        caller.start()
        # The phone answers and sends RTP (silence) to the server; then it dies without a BYE.
        self.assertIsNotNone(agent.wait_for("Call established"), "".join(agent.lines))
        self.assertIsNotNone(self.server.wait_for(r"call .* to 1007 rings"))
        subprocess.run(["pkill", "-KILL", "-f", "baresip -f " + agent.dir])
        caller.join(60)
        self.assertEqual(result.get("code"), 0, result.get("out"))
        self.assertIsNotNone(self.server.wait_for("no RTP from a phone"))


if __name__ == "__main__":
    unittest.main()
