"""Real SIP peers nobody here wrote, driven against a running Server: SIPp, baresip, sipvicious."""
import os
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
        self.proc = subprocess.Popen(["timeout", "-k", "2", "60", "baresip", "-f", self.dir, *extra],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, text=True, errors="replace")
        self.lines = []

    def wait_for(self, text, timeout=20):
        """The first line of baresip's output that contains `text`, reading on until it comes
        (lines already read count: events may come in any order); None at the timeout or exit."""
        for line in self.lines:
            if text in line:
                return line
        deadline = time.monotonic() + timeout
        os.set_blocking(self.proc.stdout.fileno(), True)
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                return None
            self.lines.append(line)
            if text in line:
                return line
        return None

    def stop(self):
        """Quits (baresip unregisters first) and waits for it to exit."""
        if self.proc.poll() is None:
            self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
