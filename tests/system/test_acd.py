"""Calls to the service numbers (接入号) through the real server, end to end: callers wait in a
skill group's queue with music on hold, walk the IVR with DTMF, are offered to the agents the ACD
picks (longest idle first, ring no answer, strictly first come first served), talk through the
media engine while the call is recorded, or leave a message after hours. What the callers and
agents hear is checked with tones (Goertzel); call records, recordings, voicemail and the queue
figures through the API. Callers and phones are SIPp and baresip; every test runs its own server
with a configuration of its own (demo.toml with short timers and test prompts)."""
import glob
import http.client
import os
import re
import shutil
import sqlite3
import struct
import sys
import tempfile
import unittest
import wave

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # also when run by file name
from audio import make_tone, samples, tone_level
from harness import BINARY, DEMO_CONFIG, SOURCE_DIR, Server, free_port, wait_until
from sip_peers import Baresip, Sipp

AFTER_SALES = "售后 After-sales"
PRE_SALES = "售前 Pre-sales"
# Test prompts are pure tones, so a caller's recording tells which one it heard.
HOLD_TONE = 523       # music on hold
WELCOME_TONE = 700    # the hotline's welcome
CLOSED_TONE = 660     # "we are closed, leave a message"
CALLER_TONE = 1000    # what callers say
AGENT_TONE = 440      # what agents say
# The prompts the build made (scripts/make-prompts): the menu, beep, digits, ...
BUILD_PROMPTS = os.path.join(os.path.dirname(os.path.abspath(BINARY)), os.pardir, os.pardir,
                             "prompts")
ARRIVED = r"call (\w+) from \S+ to service number %s"
ANSWERED = r"call (\w+): answered by agent (\w+)"
CALLER = "<sip:13800138000@127.0.0.1>;regint=0;audio_codecs=pcmu"


class AcdTest(unittest.TestCase):
    """Helpers: a server per test (`serve`), agents' phones, callers, the API."""

    def serve(self, ring_timeout=30, after_call_work=0, rtp_timeout=30, open_hours=True,
              max_wait=300, commit_ms=500, extra_config=""):
        self.workdir = tempfile.mkdtemp(prefix="sb-acd-")
        self.addCleanup(shutil.rmtree, self.workdir, True)
        prompts = self.make_prompts()
        with open(DEMO_CONFIG) as f:
            text = f.read()

        def set_value(pattern, value):
            nonlocal text
            text, n = re.subn(pattern, value, text, count=1, flags=re.M)
            self.assertEqual(n, 1, "demo.toml has no line like %r" % pattern)

        set_value(r"^ring_timeout_seconds = -?\d+", "ring_timeout_seconds = %d" % ring_timeout)
        set_value(r"^after_call_work_seconds = -?\d+",
                  "after_call_work_seconds = %d" % after_call_work)
        set_value(r"^announce_seconds = \d+", "announce_seconds = 0")  # only music on hold
        set_value(r"^timeout_seconds = \d+", "timeout_seconds = %d" % rtp_timeout)  # [rtp]
        set_value(r"^# prompts_dir = .*$", 'prompts_dir = "%s"' % prompts)
        set_value(r"^max_wait_seconds = \d+", "max_wait_seconds = %d" % max_wait)  # 售后
        set_value(r"^call_records_commit_ms = \d+", "call_records_commit_ms = %d" % commit_ms)
        if not open_hours:  # no hours at all: the demo-hours schedule is always closed
            set_value(r'^hours = \["mon-sun 00:00-24:00"\]', "hours = []")
        config = os.path.join(self.workdir, "switchboard.toml")
        with open(config, "w") as f:
            f.write(text + extra_config)
        self.server = Server(config=config, env={
            "SWITCHBOARD_STATIC_DIR": os.path.join(SOURCE_DIR, "web", "placeholder")}).start()
        self.addCleanup(self.stop_server)
        self.admin = self.server.login("admin", "demo")

    def stop_server(self):
        code = self.server.stop()
        output = self.server.output()
        self.server.cleanup()
        self.assertEqual(code, 0, output[-5000:])
        self.assertNotRegex(output, r"ERROR: \w+Sanitizer|runtime error:")

    def make_prompts(self):
        """The build's prompts with hold music, welcome and the closed message replaced by
        short pure tones."""
        prompts = os.path.join(self.workdir, "prompts")
        if os.path.isdir(BUILD_PROMPTS):
            shutil.copytree(BUILD_PROMPTS, prompts)
        else:
            os.makedirs(prompts)
        make_tone(os.path.join(prompts, "hold-music.wav"), HOLD_TONE, 2)
        make_tone(os.path.join(prompts, "welcome.wav"), WELCOME_TONE, 0.4)
        make_tone(os.path.join(prompts, "after-hours.wav"), CLOSED_TONE, 0.6)
        return prompts

    def tone_file(self, name, frequency, seconds):
        path = os.path.join(self.workdir, name)
        make_tone(path, frequency, seconds)
        return path

    # --- the server's log ------------------------------------------------------------------
    def log_matches(self, pattern):
        with self.server.cond:
            lines = [line for line in self.server.lines if line is not None]
        return [m for m in map(re.compile(pattern).search, lines) if m]

    def wait_log(self, pattern, count=1, timeout=30):
        """The `count`-th line of the server's output that matches `pattern`, waiting for it."""
        found = wait_until(lambda: len(self.log_matches(pattern)) >= count, timeout, 0.02)
        self.assertTrue(found, "no %d lines matching %r in:\n%s" % (
            count, pattern, self.server.output()[-5000:]))
        return self.log_matches(pattern)[count - 1]

    # --- the API ---------------------------------------------------------------------------
    def get(self, path, **kwargs):
        status, headers, body = self.server.request("GET", path, token=self.admin, **kwargs)
        self.assertIn(status, (200, 206), body)
        return status, headers, body

    def agents(self):
        return {a["agent"]: a for a in self.get("/api/v1/agents")[2]["agents"]}

    def queue(self, group):
        return {q["group"]: q for q in self.get("/api/v1/queues")[2]["queues"]}[group]

    def record(self, call_id, timeout=20):
        """The call record of `call_id` (written when the call has ended), waiting for it."""
        def lookup():
            status, _, body = self.server.request("GET", "/api/v1/calls/" + call_id,
                                                  token=self.admin)
            return body if status == 200 else None
        found = wait_until(lookup, timeout, 0.1)
        self.assertIsNotNone(found, "no call record %s:\n%s" % (
            call_id, self.server.output()[-3000:]))
        return found

    def download(self, url, name):
        """The file at `url` (a recording, a voicemail), saved as `name`: (path, bytes)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=30)
        try:
            conn.request("GET", url, headers={"Authorization": "Bearer " + self.admin})
            response = conn.getresponse()
            data = response.read()
        finally:
            conn.close()
        self.assertEqual((response.status, response.getheader("Content-Type")),
                         (200, "audio/wav"), data[:200])
        path = os.path.join(self.workdir, name)
        with open(path, "wb") as f:
            f.write(data)
        return path, data

    def sign_in(self, agent):
        token = self.server.login(agent, "demo")
        status, _, body = self.server.request("POST", "/api/v1/agent/signin", token=token)
        self.assertEqual(status, 200, body)
        self.assertEqual((body["status"], body["phone_registered"]), ("idle", True), body)
        return token

    def set_auto_answer(self, agent):
        users = self.get("/api/v1/users")[2]["users"]
        user = next(u for u in users if u["username"] == agent)
        status, _, body = self.server.request("PATCH", "/api/v1/users/%d" % user["id"],
                                              body={"settings": {"auto_answer": True}},
                                              token=self.admin)
        self.assertEqual((status, body["settings"]["auto_answer"]), (200, True), body)

    # --- phones and callers ----------------------------------------------------------------
    def sipp_phone(self, agent, scenario, calls=1, talk_ms=300, timeout=60):
        """An agent's phone: SIPp registers as `agent`, then answers (or not) on that port."""
        register = Sipp("uac-register-agent", server=self.server, service=agent, timeout=10)
        self.addCleanup(register.stop)
        self.assertEqual(register.wait(30), 0, register.output())
        phone = Sipp(scenario, port=register.port, calls=calls, timeout=timeout,
                     duration_ms=talk_ms, trace=True)
        self.addCleanup(phone.stop)
        return phone

    def baresip_phone(self, agent, microphone=None):
        """An agent's auto-answering baresip phone, registered."""
        phone = Baresip("<sip:%s@127.0.0.1:%d>;auth_pass=demo;regint=60;answermode=auto;"
                        "audio_codecs=pcmu" % (agent, self.server.sip_port), microphone=microphone)
        self.addCleanup(shutil.rmtree, phone.dir, True)
        self.addCleanup(phone.stop)
        self.assertIsNotNone(phone.wait_for("200 OK"), "".join(phone.lines))
        return phone

    def sipp_caller(self, number, scenario="uac-call-wait-bye", timeout=60):
        caller = Sipp(scenario, server=self.server, service=number, timeout=timeout)
        self.addCleanup(caller.stop)
        return caller

    def baresip_caller(self, number, microphone=None):
        """A customer's baresip dialing `number` (no registration: loopback is trusted). With a
        microphone it hangs up when the WAV ends and records what it hears."""
        caller = Baresip(CALLER, microphone=microphone,
                         command="/dial sip:%s@127.0.0.1:%d" % (number, self.server.sip_port))
        self.addCleanup(shutil.rmtree, caller.dir, True)
        self.addCleanup(caller.stop)
        return caller

    def heard(self, phone):
        """What the baresip phone received in its longest call (the sndfile "-dec" dump)."""
        files = glob.glob(os.path.join(phone.recordings, "*-dec.wav"))
        self.assertTrue(files, "no recording in " + phone.recordings)
        return max(files, key=lambda f: len(samples(f)[0]))

    def hang_up(self, phone):
        """Hangs up the baresip phone's call (ctrl_tcp "hangup")."""
        reply = phone.command("hangup")
        self.assertTrue(reply and reply.get("ok"), "%r\n%s" % (reply, "".join(phone.lines)))

    def assert_peer_done(self, peer, timeout=60):
        self.assertEqual(peer.wait(timeout), 0, peer.output())


def dtmf_pcap(path, digit, presses, interval_ms):
    """A pcap of the digit pressed `presses` times, `interval_ms` apart: SIPp's own
    dtmf_2833_N.pcap (RFC 4733, PT 101) repeated with the RTP sequence numbers and timestamps
    moved on, as a phone sends a key pressed again (a repeat with the same timestamp would be
    the same key press)."""
    with open("/usr/share/sip-tester/dtmf_2833_%s.pcap" % digit, "rb") as f:
        data = f.read()
    header, records, at = data[:24], [], 24
    assert struct.unpack("<I", header[:4])[0] == 0xA1B2C3D4 and struct.unpack(
        "<I", header[20:24])[0] == 1, "little-endian Ethernet pcap expected"
    while at < len(data):
        seconds, micros, length, original = struct.unpack("<IIII", data[at:at + 16])
        records.append((seconds * 1_000_000 + micros, data[at + 16:at + 16 + length], original))
        at += 16 + length
    sequences = {struct.unpack(">H", packet[44:46])[0] for _, packet, _ in records}
    out = bytearray(header)
    for press in range(presses):
        for micros, packet, original in records:
            packet = bytearray(packet)
            sequence, timestamp = struct.unpack(">HI", packet[44:50])
            struct.pack_into(">HI", packet, 44, (sequence + press * len(sequences)) % 65536,
                             (timestamp + press * interval_ms * 8) % 2**32)
            struct.pack_into(">H", packet, 40, 0)  # no UDP checksum
            when = micros + press * interval_ms * 1000
            out += struct.pack("<IIII", when // 1_000_000, when % 1_000_000, len(packet),
                               original) + packet
    with open(path, "wb") as f:
        f.write(out)


class QueueTest(AcdTest):
    """Callers waiting with no agent to take them."""

    def test_a_queued_caller_hears_music_on_hold(self):
        self.serve()
        caller = self.baresip_caller("4000", self.tone_file("caller.wav", CALLER_TONE, 3))
        call_id = self.wait_log(ARRIVED % 4000).group(1)
        self.assertIsNotNone(caller.wait_for("Call established"), "".join(caller.lines))
        # The caller hangs up when its 3 s of tone end: the call's record is written.
        record = self.record(call_id, timeout=30)
        caller.stop()
        heard = self.heard(caller)
        self.assertGreater(tone_level(heard, HOLD_TONE), -3)
        self.assertLess(tone_level(heard, CALLER_TONE), -20)  # no echo of the caller
        self.assertEqual((record["end_reason"], record["ended_by"], record["agent"]),
                         ("queue_abandoned", "caller", None))

    def test_a_caller_hanging_up_in_the_queue_is_an_abandoned_call(self):
        self.serve()
        caller = self.baresip_caller("4000")
        call_id = self.wait_log(ARRIVED % 4000).group(1)
        self.assertIsNotNone(caller.wait_for("Call established"), "".join(caller.lines))
        self.assertTrue(wait_until(lambda: self.queue(AFTER_SALES)["waiting"] == 1))
        self.hang_up(caller)
        record = self.record(call_id)
        self.assertEqual((record["end_reason"], record["ended_by"]), ("queue_abandoned", "caller"))
        self.assertEqual((record["group_name"], record["agent"], record["answered_at"]),
                         (AFTER_SALES, None, None))
        self.assertIsNotNone(record["queued_at"])
        queue = self.queue(AFTER_SALES)
        self.assertEqual((queue["waiting"], queue["abandoned"], queue["answered"]), (0, 1, 0))
        self.assertGreater(queue["abandon_rate"], 0)
        metrics = self.get("/metrics")[2]
        self.assertIn('sb_queue_calls{group="%s",outcome="abandoned"} 1' % AFTER_SALES, metrics)

    def test_the_queue_figures_show_the_waiting_caller(self):
        self.serve()
        caller = self.baresip_caller("4000")
        self.wait_log(ARRIVED % 4000)
        self.assertTrue(wait_until(lambda: self.queue(AFTER_SALES)["waiting"] == 1))
        queue = self.queue(AFTER_SALES)
        self.assertGreaterEqual(queue["longest_wait_seconds"], 0)
        self.assertEqual(queue["agents"]["signed_in"], 0)
        self.assertEqual(self.queue(PRE_SALES)["waiting"], 0)
        # The wait is measured as it goes.
        self.assertTrue(wait_until(lambda: self.queue(AFTER_SALES)["longest_wait_seconds"] >= 1,
                                   timeout=10))
        metrics = self.get("/metrics")[2]
        self.assertIn('sb_queue_waiting{group="%s"} 1' % AFTER_SALES, metrics)
        self.assertIn('sb_queue_waiting{group="%s"} 0' % PRE_SALES, metrics)
        self.hang_up(caller)
        self.assertTrue(wait_until(lambda: self.queue(AFTER_SALES)["waiting"] == 0))
        self.assertIn('sb_queue_waiting{group="%s"} 0' % AFTER_SALES, self.get("/metrics")[2])


class CrashTest(AcdTest):
    """A crash (SIGKILL: no shutdown, no last commit) loses no finished call's record."""

    def test_records_not_yet_committed_when_the_server_is_killed_are_there_after_restart(self):
        # Records wait for the database's commit for up to a minute: the kill comes before it.
        self.serve(commit_ms=60000, after_call_work=2)
        agent = "1006"  # in After-sales
        phone = self.sipp_phone(agent, "uas-agent-answer", calls=2, talk_ms=300)
        self.sign_in(agent)
        caller = Sipp("uac-call-wait-bye", server=self.server, service="4000", calls=2,
                      timeout=30)
        self.addCleanup(caller.stop)
        self.assertEqual(caller.wait(60), 0, caller.output())
        self.assert_peer_done(phone)
        calls = wait_until(lambda: (lambda listed: listed if len(listed) == 2 else None)(
            self.get("/api/v1/calls")[2]["calls"]))
        self.assertTrue(calls, self.server.output()[-3000:])
        # The second call's after-call work ends (2 s): its duration goes to the record too.
        self.assertTrue(wait_until(lambda: self.agents()[agent]["activity"] == "none", 10))
        before = {c["id"]: self.get("/api/v1/calls/" + c["id"])[2] for c in calls}
        with sqlite3.connect(self.server.database) as db:
            committed = db.execute("SELECT COUNT(*) FROM calls").fetchone()[0]
        self.assertEqual(committed, 0, "committed already: the kill would prove nothing")

        self.server.kill()
        killed = self.server
        self.server = Server(config=killed.config, data_dir=killed.data_dir, env={
            "SWITCHBOARD_STATIC_DIR": os.path.join(SOURCE_DIR, "web", "placeholder")}).start()
        self.server.owned_dir = True  # the cleanup removes the data
        self.admin = self.server.login("admin", "demo")
        # Two records and two after-call-work durations.
        self.wait_log(r"call journal: 4 entries the last run left uncommitted")
        after = {c["id"]: self.get("/api/v1/calls/" + c["id"])[2] for c in calls}
        self.assertEqual(after, before)
        self.assertTrue(all(r["after_call_work_ms"] > 0 for r in after.values()), after)


class ConversationTest(AcdTest):
    """An answered call: the audio both ways, the recording, and a phone that dies."""

    def test_caller_and_agent_hear_each_other_and_the_recording_holds_both_sides(self):
        self.serve()
        agent = self.baresip_phone("1006", self.tone_file("agent.wav", AGENT_TONE, 20))
        self.sign_in("1006")
        caller = self.baresip_caller("4000", self.tone_file("caller.wav", CALLER_TONE, 4))
        call_id = self.wait_log(ARRIVED % 4000).group(1)
        self.assertEqual(self.wait_log(ANSWERED).group(1, 2), (call_id, "1006"))
        # The caller hangs up when its 4 s of tone end; the agent's phone gets the BYE.
        record = self.record(call_id, timeout=30)
        self.assertIsNotNone(agent.wait_for("session closed"), "".join(agent.lines))
        caller.stop()
        agent.stop()
        heard_by_agent, heard_by_caller = self.heard(agent), self.heard(caller)
        self.assertGreater(tone_level(heard_by_agent, CALLER_TONE), -3)
        self.assertLess(tone_level(heard_by_agent, AGENT_TONE), -20)
        self.assertLess(tone_level(heard_by_agent, HOLD_TONE), -20)
        # The caller heard the agent (after music on hold, if the agent took a moment).
        self.assertGreater(tone_level(heard_by_caller, AGENT_TONE), -6)
        self.assertLess(tone_level(heard_by_caller, CALLER_TONE), -20)

        self.assertEqual((record["agent"], record["end_reason"], record["ended_by"]),
                         ("1006", "normal", "caller"))
        self.assertEqual((record["group_name"], record["called"], record["caller"]),
                         (AFTER_SALES, "4000", "13800138000"))
        self.assertGreater(record["talk_ms"], 0)
        self.assertEqual([leg["role"] for leg in record["legs"]], ["caller", "agent"])
        # The list has it too (without the legs).
        listed = self.get("/api/v1/calls")[2]["calls"]
        self.assertEqual(listed, [{k: v for k, v in record.items() if k != "legs"}])
        self.assertEqual(record["recording_url"], "/api/v1/calls/%s/recording" % call_id)
        path, data = self.download(record["recording_url"], "recording.wav")
        with wave.open(path) as w:
            self.assertEqual((w.getnchannels(), w.getframerate(), w.getsampwidth()), (2, 8000, 2))
        # Stereo: the caller on the left, the agent on the right.
        self.assertGreater(tone_level(path, CALLER_TONE, channel=0), -3)
        self.assertLess(tone_level(path, AGENT_TONE, channel=0), -20)
        self.assertGreater(tone_level(path, AGENT_TONE, channel=1), -3)
        self.assertLess(tone_level(path, CALLER_TONE, channel=1), -20)
        # Players seek with ranges.
        status, headers, _ = self.server.request("GET", record["recording_url"], token=self.admin,
                                                 headers={"Range": "bytes=0-99"})
        self.assertEqual(status, 206)
        self.assertEqual(headers["content-range"], "bytes 0-99/%d" % len(data))
        self.assertEqual(headers["content-length"], "100")

    def test_a_caller_who_makes_no_offer_talks_with_the_agent(self):
        """A delayed offer (no SDP in the INVITE, as some PBXs and carriers send): our offer goes
        in the 200 and the caller answers it in the ACK."""
        self.serve()
        agent = self.baresip_phone("1006", self.tone_file("agent.wav", AGENT_TONE, 20))
        self.sign_in("1006")
        # The caller echoes what it hears: the agent hears its own tone back only if we send to
        # the address of the ACK's answer and relay what comes back from there.
        caller = Sipp("uac-late-offer", server=self.server, service="4000", duration_ms=4000,
                      extra=["-rtp_echo"])
        self.addCleanup(caller.stop)
        call_id = self.wait_log(ARRIVED % 4000).group(1)
        self.assertEqual(self.wait_log(ANSWERED).group(1, 2), (call_id, "1006"))
        self.assert_peer_done(caller)
        record = self.record(call_id, timeout=30)
        self.assertIsNotNone(agent.wait_for("session closed"), "".join(agent.lines))
        agent.stop()
        self.assertGreater(tone_level(self.heard(agent), AGENT_TONE), -6)
        self.assertEqual((record["agent"], record["end_reason"], record["ended_by"]),
                         ("1006", "normal", "caller"))

    def test_a_killed_agent_phone_does_not_leave_the_agent_talking(self):
        self.serve(rtp_timeout=2, after_call_work=1)
        phone = self.baresip_phone("1007")  # answers, sends RTP (silence)
        self.sign_in("1007")
        caller = self.sipp_caller("4000")
        call_id = self.wait_log(ARRIVED % 4000).group(1)
        self.assertEqual(self.wait_log(ANSWERED).group(1, 2), (call_id, "1007"))
        self.assertIsNotNone(phone.wait_for("Call established"), "".join(phone.lines))
        self.assertEqual(self.agents()["1007"]["activity"], "talking")
        phone.kill()  # no BYE: the server notices the RTP stopping
        self.assert_peer_done(caller)  # the caller got the BYE
        self.wait_log(r"call %s: no RTP from a phone" % call_id)
        record = self.record(call_id)
        self.assertEqual((record["agent"], record["end_reason"], record["ended_by"]),
                         ("1007", "normal", "agent"))
        self.assertIn(self.agents()["1007"]["activity"], ("acw", "none"))
        # The phone comes back (a new registration): the agent takes calls again.
        phone = self.baresip_phone("1007")
        self.assertTrue(wait_until(lambda: self.agents()["1007"]["activity"] == "none", 10))
        self.assertEqual(self.agents()["1007"]["status"], "idle")
        caller = self.sipp_caller("4000")
        second = self.wait_log(ARRIVED % 4000, count=2).group(1)
        self.assertEqual(self.wait_log(ANSWERED, count=2).group(1, 2), (second, "1007"))
        self.assertIsNotNone(phone.wait_for("Call established"), "".join(phone.lines))
        self.hang_up(phone)
        self.assert_peer_done(caller)
        self.assertEqual(self.record(second)["end_reason"], "normal")


class MobileTest(AcdTest):
    """手机接听: an agent away from the desk takes queue calls on a mobile, rung through the
    outbound trunk."""

    def test_a_mobile_agent_is_rung_through_the_trunk_and_talks_with_the_caller(self):
        carrier_port = free_port()
        self.serve(extra_config='\n[[trunks]]\nname = "carrier"\nhost = "127.0.0.1"\n'
                                'port = %d\nusername = "02150001234"\npassword = "s3cret"\n'
                                % carrier_port)
        # The carrier challenges the INVITE, then answers for the mobile and echoes its audio;
        # the mobile hangs up after 4 s.
        carrier = Sipp("uas-carrier-challenge-answer", port=carrier_port, duration_ms=4000,
                       trace=True, extra=["-rtp_echo"])
        self.addCleanup(carrier.stop)
        token = self.server.login("1006", "demo")  # no desk phone registered
        status, _, body = self.server.request("POST", "/api/v1/agent/signin", token=token)
        self.assertEqual((status, body["phone_registered"]), (200, False), body)
        # Without a number, mobile answering is refused and says why.
        status, _, body = self.server.request("POST", "/api/v1/agent/state", token=token,
                                              body={"state": "mobile"})
        self.assertEqual((status, body["error"]["field"]), (400, "number"), body)
        users = self.get("/api/v1/users")[2]["users"]
        user = next(u for u in users if u["username"] == "1006")
        status, _, body = self.server.request("PATCH", "/api/v1/users/%d" % user["id"],
                                              body={"settings": {"mobile_number": "13900000009"}},
                                              token=self.admin)
        self.assertEqual((status, body["settings"]["mobile_number"]), (200, "13900000009"), body)
        token = self.server.login("1006", "demo")
        status, _, body = self.server.request("POST", "/api/v1/agent/state", token=token,
                                              body={"state": "mobile"})
        self.assertEqual((status, body["status"], body["mobile_number"]),
                         (200, "mobile", "13900000009"), body)
        self.assertEqual(self.agents()["1006"]["mobile_number"], "13900000009")

        caller = self.baresip_caller("4000", self.tone_file("caller.wav", CALLER_TONE, 8))
        call_id = self.wait_log(ARRIVED % 4000).group(1)
        self.assertEqual(self.wait_log(ANSWERED).group(1, 2), (call_id, "1006"))
        self.assert_peer_done(carrier)  # answered, talked, hung up
        record = self.record(call_id)
        caller.stop()
        self.assertEqual((record["agent"], record["end_reason"], record["ended_by"]),
                         ("1006", "normal", "agent"))
        invite = carrier.received("INVITE")[1]  # the one with the answer to the challenge
        self.assertRegex(invite, r"^INVITE sip:13900000009@127\.0\.0\.1:%d SIP/2\.0" % carrier_port)
        self.assertRegex(invite, r'(?m)^Authorization: Digest username="02150001234"')
        self.assertRegex(invite, r'(?m)^From: "%s 13800138000" <sip:13800138000@' % AFTER_SALES)
        # The caller heard itself through the mobile's echo: the audio went out by the trunk.
        self.assertGreater(tone_level(self.heard(caller), CALLER_TONE), -6)
        self.assertEqual(self.agents()["1006"]["status"], "mobile")


class ResetTest(AcdTest):
    """重置: an agent stuck with a ringing offer is brought back by a supervisor."""

    def test_a_reset_withdraws_the_offer_and_the_call_waits_again(self):
        self.serve(ring_timeout=60)
        phone = self.sipp_phone("1006", "uas-agent-ring", calls=1)
        users = self.get("/api/v1/users")[2]["users"]
        user = next(u for u in users if u["username"] == "1006")
        status, _, body = self.server.request("PATCH", "/api/v1/users/%d" % user["id"],
                                              body={"settings": {"initial_state": "busy"}},
                                              token=self.admin)
        self.assertEqual(status, 200, body)
        token = self.server.login("1006", "demo")
        status, _, body = self.server.request("POST", "/api/v1/agent/signin", token=token)
        self.assertEqual((status, body["status"]), (200, "busy"), body)
        status, _, body = self.server.request("POST", "/api/v1/agent/state", token=token,
                                              body={"state": "idle"})
        self.assertEqual(status, 200, body)
        caller = self.sipp_caller("4000")
        self.wait_log(ARRIVED % 4000)
        self.assertTrue(wait_until(lambda: self.agents()["1006"]["activity"] == "ringing"))
        self.assertEqual(self.queue(AFTER_SALES)["waiting"], 0)

        supervisor = self.server.login("1000", "demo")
        status, _, body = self.server.request("POST", "/api/v1/agents/1006/reset",
                                              token=supervisor)
        self.assertEqual(status, 200, body)
        # Back to the status it signs in with, nothing half done, no break for "no answer".
        self.assertEqual((body["status"], body["activity"], body["break_reason"]),
                         ("busy", "none", None), body)
        self.assert_peer_done(phone)  # the phone got the CANCEL and its call ended
        self.assertTrue(wait_until(lambda: self.queue(AFTER_SALES)["waiting"] == 1))
        # The agent's own reset, and a reset of nobody signed in.
        status, _, body = self.server.request("POST", "/api/v1/agent/reset", token=token)
        self.assertEqual((status, body["status"]), (200, "busy"), body)
        status, _, body = self.server.request("POST", "/api/v1/agents/1009/reset",
                                              token=supervisor)
        self.assertEqual(status, 409, body)
        status, _, body = self.server.request("POST", "/api/v1/agents/1006/reset", token=token)
        self.assertEqual(status, 403, body)  # agents reset only themselves
        self.assertEqual(self.queue(AFTER_SALES)["waiting"], 1)
        self.assertEqual(self.agents()["1006"]["status"], "busy")
        self.assertIsNone(caller.wait(0))  # still waiting for an agent


class RoutingTest(AcdTest):
    """Which agent gets which call, and in what order."""

    def test_the_longest_idle_agent_gets_the_call(self):
        self.serve(after_call_work=0)
        first = self.sipp_phone("1006", "uas-agent-answer", calls=3)
        second = self.sipp_phone("1007", "uas-agent-answer", calls=3)
        self.set_auto_answer("1006")
        first_token = self.sign_in("1006")
        self.sign_in("1007")  # 1006 has been idle longer
        calls = []

        def call():
            caller = self.sipp_caller("4000")
            self.assert_peer_done(caller)  # the agent hangs up: the caller gets the BYE
            calls.append(self.wait_log(ARRIVED % 4000, count=len(calls) + 1).group(1))
            return self.record(calls[-1])["agent"]

        self.assertEqual(call(), "1006")
        # 1006 is idle again since that call: now 1007 has waited longest.
        self.assertTrue(wait_until(lambda: self.agents()["1006"]["activity"] == "none"))
        self.assertEqual(call(), "1007")
        # Idle since a break counts from the break's end: 1007 (idle since its call) is next,
        # not 1006 (whose turn it would be in a round robin).
        self.assertTrue(wait_until(lambda: self.agents()["1007"]["activity"] == "none"))
        for state in ("busy", "idle"):
            status, _, body = self.server.request("POST", "/api/v1/agent/state",
                                                  token=first_token, body={"state": state})
            self.assertEqual((status, body["status"]), (200, state), body)
        self.assertEqual(call(), "1007")
        # What the phones were shown: the queue and the caller, the call's id, and for the
        # agent with 自动应答 the headers that make phones answer at once.
        invite = first.received("INVITE")[0]
        self.assertRegex(invite, r'(?m)^From: "%s 13800138000" <sip:13800138000@' % AFTER_SALES)
        self.assertRegex(invite, r"(?m)^X-Switchboard-Queue: %s\s*$" % AFTER_SALES)
        self.assertRegex(invite, r"(?m)^X-Switchboard-Call: %s\s*$" % calls[0])
        self.assertRegex(invite, r"(?m)^Call-Info: .*answer-after=0")
        invite = second.received("INVITE")[0]
        self.assertRegex(invite, r"(?m)^X-Switchboard-Call: %s\s*$" % calls[1])
        self.assertNotRegex(invite, r"(?m)^Call-Info:")

    def test_an_unanswered_offer_puts_the_agent_on_break_and_the_call_goes_to_the_next(self):
        self.serve(ring_timeout=2, after_call_work=0)
        ringing = self.sipp_phone("1006", "uas-agent-ring", calls=1)
        answering = self.sipp_phone("1007", "uas-agent-answer", calls=2)
        self.sign_in("1006")
        token = self.sign_in("1007")
        status, _, body = self.server.request("POST", "/api/v1/agent/state", token=token,
                                              body={"state": "busy"})
        self.assertEqual((status, body["status"]), (200, "busy"), body)
        first_caller = self.sipp_caller("4000")
        first = self.wait_log(ARRIVED % 4000).group(1)
        self.wait_log(r"call %s: offered to agent 1006" % first)
        # A second caller comes while 1006's phone rings for the first.
        second_caller = self.sipp_caller("4000")
        second = self.wait_log(ARRIVED % 4000, count=2).group(1)
        # Nobody answers within the ring timeout: 1006 goes on break, the call back to the queue.
        self.assertTrue(wait_until(lambda: self.agents()["1006"]["status"] == "break", 10))
        agent = self.agents()["1006"]
        self.assertEqual((agent["break_reason"], agent["activity"]), ("no answer", "none"))
        self.assert_peer_done(ringing)  # it rang, got the CANCEL, answered 487
        self.assertEqual(self.queue(AFTER_SALES)["waiting"], 2)
        # The first caller is still first in line: the next agent free takes it, then the other.
        status, _, body = self.server.request("POST", "/api/v1/agent/state", token=token,
                                              body={"state": "idle"})
        self.assertEqual(status, 200, body)
        self.assertEqual(self.wait_log(ANSWERED).group(1, 2), (first, "1007"))
        self.assertEqual(self.wait_log(ANSWERED, count=2).group(1, 2), (second, "1007"))
        self.assert_peer_done(first_caller)
        self.assert_peer_done(second_caller)
        self.assert_peer_done(answering)
        # One call, one record, though two phones were offered it.
        record = self.record(first)
        self.assertEqual((record["agent"], record["end_reason"]), ("1007", "normal"))
        self.assertEqual([(leg["role"], leg["party"]) for leg in record["legs"]],
                         [("caller", "13800138000"), ("agent", "1007")])
        for phone in (ringing, answering):
            self.assertRegex(phone.received("INVITE")[0],
                             r"(?m)^X-Switchboard-Call: %s\s*$" % first)
        self.assertEqual(self.record(second)["agent"], "1007")
        # 1006 stayed out of rotation.
        self.assertEqual(len(ringing.received("INVITE")), 1)
        self.assertEqual(self.agents()["1006"]["status"], "break")

    def test_twenty_callers_and_three_agents_are_served_in_arrival_order(self):
        self.serve(after_call_work=0)
        phones = {agent: self.baresip_phone(agent) for agent in ("1006", "1007", "1008")}
        for agent in phones:
            self.sign_in(agent)
        callers, arrived = [], []
        for n in range(20):
            callers.append(self.sipp_caller("4000", timeout=120))
            arrived.append(self.wait_log(ARRIVED % 4000, count=n + 1).group(1))
            if n < len(phones):
                self.wait_log(ANSWERED, count=n + 1)  # taken at once by an idle agent
        self.assertEqual(self.queue(AFTER_SALES)["waiting"], 20 - len(phones))
        # One agent at a time ends its call, so each answer follows the one before: the agent
        # who answered the n-th call hangs up, and the next call must be answered before
        # another agent is freed.
        answered = []
        for n in range(20):
            call_id, agent = self.wait_log(ANSWERED, count=n + 1).group(1, 2)
            answered.append(call_id)
            self.hang_up(phones[agent])
            if n + len(phones) < 20:
                self.wait_log(ANSWERED, count=n + len(phones) + 1)
        for caller in callers:
            self.assert_peer_done(caller)
        self.assertEqual(answered, arrived)
        records = [self.record(call_id) for call_id in arrived]
        self.assertEqual([r["end_reason"] for r in records], ["normal"] * 20)
        self.assertTrue({r["agent"] for r in records} <= set(phones))
        by_arrival = sorted(records, key=lambda r: r["arrived_at"])
        by_answer = sorted(records, key=lambda r: r["answered_at"])
        self.assertEqual([r["id"] for r in by_arrival], arrived)
        self.assertEqual([r["id"] for r in by_answer], arrived)
        queue = self.queue(AFTER_SALES)
        self.assertEqual((queue["answered"], queue["abandoned"], queue["waiting"]), (20, 0, 0))

    def test_ivr_digits_route_the_caller_to_the_group_chosen(self):
        self.serve()
        pre_sales = self.sipp_phone("1001", "uas-agent-answer", calls=1)    # 售前 only
        after_sales = self.sipp_phone("1006", "uas-agent-answer", calls=2)  # 售后 only
        self.sign_in("1001")
        self.sign_in("1006")
        with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "sip",
                               "uac-ivr-dtmf.xml")) as f:
            template = f.read()
        # RFC 4733 telephone-events for 1 and 2, then 2 again as SIP INFO. The key is pressed
        # every half second until the call is taken: presses during the welcome are not for
        # the menu and are dropped.
        for n, (digit, how, agent, group, node) in enumerate((
                ("1", "rtp", "1001", PRE_SALES, "pre-sales"),
                ("2", "rtp", "1006", AFTER_SALES, "after-sales"),
                ("2", "info", "1006", AFTER_SALES, "after-sales"))):
            if how == "rtp":
                pcap = os.path.join(self.workdir, "dtmf_%s.pcap" % digit)
                dtmf_pcap(pcap, digit, presses=12, interval_ms=500)
                scenario = os.path.join(self.workdir, "ivr_%s.xml" % digit)
                with open(scenario, "w") as f:
                    f.write(template.replace("DTMF_PCAP", pcap))
                caller = self.sipp_caller("4001", scenario=scenario)
            else:
                caller = Sipp("uac-ivr-info", server=self.server, service="4001", timeout=60,
                              extra=["-key", "digit", digit])
                self.addCleanup(caller.stop)
            call_id = self.wait_log(ARRIVED % 4001, count=n + 1).group(1)
            self.assert_peer_done(caller)  # the agent answered and hung up
            record = self.record(call_id)
            self.assertEqual((record["agent"], record["group_name"], record["end_reason"]),
                             (agent, group, "normal"), record)
            self.assertRegex(record["ivr_path"], r"^hours>welcome>menu\[%s\]>%s$" % (digit, node))
        self.assert_peer_done(pre_sales)
        self.assert_peer_done(after_sales)


class VoicemailTest(AcdTest):
    """Messages left by callers, stored and downloadable."""

    def leave_message(self, number, wait=0):
        """A caller says CALLER_TONE for 3 s after `wait` seconds, the prompt and the beep, then
        hangs up; the record of the call."""
        prompts = os.path.join(self.workdir, "prompts")
        lead = wait + sum(len(samples(os.path.join(prompts, p + ".wav"))[0]) / 8000
                          for p in ("after-hours", "beep") if os.path.exists(
                              os.path.join(prompts, p + ".wav")))
        caller = self.baresip_caller(number, self.tone_file("message.wav", CALLER_TONE,
                                                            round(lead + 3, 1)))
        call_id = self.wait_log(ARRIVED % number).group(1)
        record = self.record(call_id, timeout=30)  # written when the caller has hung up
        caller.stop()
        return record, self.heard(caller)

    def assert_message(self, record):
        self.assertEqual(record["voicemail_url"], "/api/v1/calls/%s/voicemail" % record["id"])
        self.assertIsNone(record["recording_url"])
        self.assertIsNone(record["agent"])
        path, _ = self.download(record["voicemail_url"], "voicemail.wav")
        with wave.open(path) as w:
            self.assertEqual((w.getnchannels(), w.getframerate()), (1, 8000))
            self.assertGreater(w.getnframes(), 8000)  # seconds of it, not a stub
        self.assertGreater(tone_level(path, CALLER_TONE), -3)

    def test_after_hours_the_callers_message_is_stored_and_downloadable(self):
        self.serve(open_hours=False)
        record, heard = self.leave_message("4001")
        self.assertGreater(tone_level(heard, CLOSED_TONE), -10)  # the message before the beep
        self.assertEqual((record["end_reason"], record["ended_by"]),
                         ("after_hours_voicemail", "caller"))
        self.assertEqual(record["ivr_path"], "hours>closed")
        self.assert_message(record)

    def test_the_voicemail_number_takes_a_message_at_any_time(self):
        self.serve()
        record, heard = self.leave_message("4009")
        self.assertGreater(tone_level(heard, CLOSED_TONE), -10)
        # Not after hours: a plain voicemail.
        self.assertEqual((record["end_reason"], record["ended_by"]), ("voicemail", "caller"))
        self.assertEqual(record["ivr_path"], "message")
        self.assert_message(record)

    def test_a_caller_waiting_too_long_leaves_a_message(self):
        # 售后's queue overflows to voicemail after max_wait_seconds; nobody takes the call.
        self.serve(max_wait=2)
        record, heard = self.leave_message("4000", wait=2)
        # Music on hold, then the message before the beep.
        self.assertGreater(tone_level(heard, HOLD_TONE), -10)
        self.assertGreater(tone_level(heard, CLOSED_TONE), -20)
        self.assertEqual((record["end_reason"], record["ended_by"]), ("voicemail", "caller"))
        self.assertEqual((record["ivr_path"], record["group_name"]),
                         ("queue>voicemail", AFTER_SALES))
        self.assertGreaterEqual(record["wait_ms"], 2000)
        self.assert_message(record)
        queue = self.queue(AFTER_SALES)
        self.assertEqual((queue["overflowed"], queue["abandoned"], queue["waiting"]), (1, 0, 0))


if __name__ == "__main__":
    unittest.main()
