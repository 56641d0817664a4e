"""Real SIP peers nobody here wrote, driven against a running Server: SIPp, baresip, sipvicious."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from harness import free_port

SCENARIOS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "sip")


def sipp(server, scenario, service="1001", password="demo", transport="u1", calls=1, timeout=20,
         extra=(), source_ip="127.0.0.1"):
    """Runs one SIPp scenario from tests/system/sip/ to completion: (exit code, output)."""
    workdir = tempfile.mkdtemp(prefix="sb-sipp-")
    cmd = ["timeout", "-k", "2", str(timeout + 10), "sipp",
           "-sf", os.path.join(SCENARIOS, scenario + ".xml"),
           "127.0.0.1:%d" % server.sip_port, "-t", transport,
           "-s", service, "-au", service, "-ap", password,
           "-i", source_ip, "-p", str(free_port()), "-cp", str(free_port()), "-mp", str(free_port()),
           "-m", str(calls), "-timeout", str(timeout), "-recv_timeout", str(timeout * 1000),
           "-nostdin", "-trace_err", "-error_file", os.path.join(workdir, "errors.log"), *extra]
    proc = subprocess.run(cmd, cwd=workdir, capture_output=True, text=True)
    errors = ""
    if os.path.exists(os.path.join(workdir, "errors.log")):
        with open(os.path.join(workdir, "errors.log"), errors="replace") as f:
            errors = f.read()
    return proc.returncode, proc.stdout[-3000:] + errors


class Sipp:
    """One SIPp scenario from tests/system/sip/ (or a path) running in the background: a caller,
    or an agent's phone (a UAS on `port`). Bounded by SIPp's -timeout/-recv_timeout and an outer
    `timeout`; `wait()` gives the exit code. With `trace=True`, `received()` gives the requests
    it got."""

    def __init__(self, scenario, server=None, service=None, password="demo", port=None, calls=1,
                 timeout=30, duration_ms=None, trace=False, extra=()):
        self.dir = tempfile.mkdtemp(prefix="sb-sipp-")
        self.port = port or free_port()
        self.scenario = scenario
        path = scenario if os.path.isabs(scenario) else os.path.join(SCENARIOS, scenario + ".xml")
        cmd = ["timeout", "-k", "2", str(timeout + 10), "sipp", "-sf", path]
        if server is not None:
            cmd.append("127.0.0.1:%d" % server.sip_port)
        if service is not None:
            cmd += ["-s", service, "-au", service, "-ap", password]
        cmd += ["-i", "127.0.0.1", "-t", "u1", "-p", str(self.port), "-cp", str(free_port()),
                "-mp", str(free_port(4)), "-m", str(calls), "-timeout", str(timeout),
                "-recv_timeout", str(timeout * 1000), "-nostdin",
                "-trace_err", "-error_file", os.path.join(self.dir, "errors.log")]
        if duration_ms is not None:
            cmd += ["-d", str(duration_ms)]
        if trace:
            cmd += ["-trace_msg", "-message_file", os.path.join(self.dir, "messages.log")]
        self.out = open(os.path.join(self.dir, "out.log"), "w")
        self.proc = subprocess.Popen(cmd + list(extra), cwd=self.dir, stdout=self.out,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    def wait(self, timeout=60):
        """SIPp's exit code (0: every call went as the scenario says); None if still running."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()  # `timeout` passes it on to SIPp
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.out.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def _read(self, name):
        path = os.path.join(self.dir, name)
        if not os.path.exists(path):
            return ""
        with open(path, errors="replace") as f:
            return f.read()

    def output(self):
        """The end of SIPp's screen and its error log, for failure messages."""
        return "%s: %s\n%s" % (self.scenario, self._read("out.log")[-2000:],
                                self._read("errors.log")[-2000:])

    def received(self, method):
        """The requests of `method` that SIPp received, with trace=True (from its -trace_msg log:
        blocks of "----- date", "UDP message received [N] bytes :", the message)."""
        out = []
        for block in re.split(r"^-{10,}.*$", self._read("messages.log"), flags=re.M):
            lines = block.strip().split("\n", 1)
            if len(lines) == 2 and "message received" in lines[0]:
                message = lines[1].strip()
                if message.startswith(method + " "):
                    out.append(message)
        return out


class UdpClient:
    """A bare UDP socket for sending exact bytes and reading answers in order."""

    def __init__(self, server):
        self.server = server
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(5)
        self.port = self.sock.getsockname()[1]

    def send(self, data):
        self.sock.sendto(data, ("127.0.0.1", self.server.sip_port))

    def receive(self):
        data, _ = self.sock.recvfrom(65535)
        return data

    def close(self):
        self.sock.close()


def options_request(port, branch, call_id):
    return ("OPTIONS sip:127.0.0.1 SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=%s;rport\r\n"
            "From: <sip:probe@127.0.0.1>;tag=p1\r\nTo: <sip:127.0.0.1>\r\n"
            "Call-ID: %s\r\nCSeq: 1 OPTIONS\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
            % (port, branch, call_id)).encode()


def status_of(reply):
    first = reply.split(b"\r\n", 1)[0].decode("latin-1")
    return int(first.split(" ")[1]) if first.startswith("SIP/2.0 ") else None


def header_of(reply, name):
    for line in reply.decode("utf-8", "replace").split("\r\n"):
        if line.lower().startswith(name.lower() + ":"):
            return line.split(":", 1)[1].strip()
    return None


class Baresip:
    """baresip as an agent's softphone (no sound card: silence or a WAV file in)."""

    def __init__(self, account, microphone=None, command=None):
        """`microphone`: a WAV file played into calls (the call hangs up when it ends), and then
        what the phone hears is recorded under `self.recordings`; `command`: run after start-up,
        e.g. "/dial sip:1002@127.0.0.1:5060"."""
        self.dir = tempfile.mkdtemp(prefix="sb-baresip-")
        self.recordings = os.path.join(self.dir, "rec")
        os.makedirs(self.recordings)
        sip_port, ctrl_port = free_port(2), free_port()  # baresip also binds sip_port + 1 (TLS)
        rtp = free_port(10)
        # aubridge's "nowhere" source is silence; without any source baresip cannot answer.
        audio = ("audio_source\t\taufile,%s\nmodule\t\t\taufile.so\nmodule\t\t\tsndfile.so\n"
                 "snd_path\t\t%s\n" % (microphone, self.recordings)) if microphone else (
                 "audio_source\t\taubridge,nowhere\n")
        with open(os.path.join(self.dir, "config"), "w") as f:
            f.write("poll_method\t\tepoll\n"
                    "sip_listen\t\t127.0.0.1:%d\n"
                    "net_interface\t\t127.0.0.1\n"
                    "rtp_ports\t\t%d-%d\n"
                    "audio_player\t\taubridge,nowhere\n"
                    "audio_alert\t\taubridge,nowhere\n"
                    "module_path\t\t/usr/lib/baresip/modules\n"
                    "module\t\t\tg711.so\nmodule\t\t\taubridge.so\n"
                    "module_tmp\t\tuuid.so\nmodule_tmp\t\taccount.so\n"
                    "module_app\t\tmenu.so\nmodule_app\t\tctrl_tcp.so\n"
                    "ctrl_tcp_listen\t\t127.0.0.1:%d\n" % (sip_port, rtp, rtp + 9, ctrl_port))
            f.write(audio)
        with open(os.path.join(self.dir, "accounts"), "w") as f:
            f.write(account + "\n")
        extra = ["-e", command] if command else []
        self.ctrl_port = ctrl_port
        # The output goes to a file, read when asked for: a pipe nobody reads would stop baresip
        # when full, and a reader woken by every status line would change its timing.
        self.output_path = os.path.join(self.dir, "output.log")
        with open(self.output_path, "w") as output:
            self.proc = subprocess.Popen(
                ["timeout", "-k", "2", "60", "baresip", "-f", self.dir, *extra], stdout=output,
                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)

    @property
    def lines(self):
        """baresip's output so far, line by line."""
        with open(self.output_path, errors="replace") as f:
            return f.read().splitlines(True)

    def wait_for(self, text, timeout=20):
        """The first line of baresip's output that contains `text`, waiting for it (lines already
        written count: events may come in any order); None at the timeout or exit."""
        return self.wait_for_count(text, 1, timeout)

    def wait_for_count(self, text, count, timeout=20):
        """The `count`-th line that contains `text`, waiting for it; None at the timeout or exit."""
        deadline = time.monotonic() + timeout
        while True:
            exited = self.proc.poll() is not None
            found = [line for line in self.lines if text in line]
            if len(found) >= count:
                return found[count - 1]
            if exited or time.monotonic() > deadline:
                return None
            time.sleep(0.05)

    def command(self, command, params="", timeout=10):
        """Runs one ctrl_tcp command (e.g. "hangup", "dial"): baresip's JSON response, or None."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                sock = socket.create_connection(("127.0.0.1", self.ctrl_port), timeout=2)
                break
            except OSError:  # ctrl_tcp may come up late under load
                if time.monotonic() > deadline:
                    return None
                time.sleep(0.1)
        with sock:
            message = json.dumps({"command": command, "params": params, "token": "sb"}).encode()
            sock.sendall(b"%d:%s," % (len(message), message))
            data = b""
            while time.monotonic() < deadline:
                while True:  # netstrings: "LEN:{json},"
                    head, colon, rest = data.partition(b":")
                    if not colon or not head.isdigit() or len(rest) < int(head) + 1:
                        break
                    reply = json.loads(rest[:int(head)])
                    data = rest[int(head) + 1:]
                    if reply.get("response") and reply.get("token") == "sb":
                        return reply
                sock.settimeout(max(0.1, deadline - time.monotonic()))
                try:
                    chunk = sock.recv(65536)
                except socket.timeout:
                    return None
                if not chunk:
                    return None
                data += chunk
        return None

    def kill(self):
        """Kills baresip itself with SIGKILL: a phone that dies in a call, sending nothing."""
        for pid in _children(self.proc.pid):
            os.kill(pid, signal.SIGKILL)

    def stop(self):
        """Quits (baresip unregisters first) and waits for it to exit."""
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def _children(pid):
    """The process ids of `pid`'s children (Linux /proc)."""
    try:
        with open("/proc/%d/task/%d/children" % (pid, pid)) as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []
