"""Starts the real switchboard binary and talks to it over real sockets.

Used by the system tests (python3 -m unittest). Every server gets its own data directory and
port 0 unless a test asks for fixed ports, so tests run in parallel and leave nothing behind.
"""
import fcntl
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import unittest

BINARY = os.environ.get("SWITCHBOARD_BIN", "build/asan/src/app/switchboard")
SOURCE_DIR = os.environ.get("SWITCHBOARD_SOURCE_DIR", os.getcwd())
DEMO_CONFIG = os.path.join(SOURCE_DIR, "config", "demo.toml")
READY = re.compile(r"switchboard ready http=(\S+):(\d+) sip=(\S+):(\d+)")


class Server:
    """One switchboard process. Output is collected line by line; wait_for() blocks on a line."""

    def __init__(self, config=DEMO_CONFIG, env=None, data_dir=None, args=(), preexec_fn=None):
        self.owned_dir = data_dir is None
        self.data_dir = data_dir or tempfile.mkdtemp(prefix="sb-system-")
        self.env = dict(os.environ)
        self.env.update({"SWITCHBOARD_DATA_DIR": self.data_dir, "SWITCHBOARD_HTTP_PORT": "0",
                         "SWITCHBOARD_SIP_PORT": "0", "SWITCHBOARD_LOG_LEVEL": "debug"})
        self.env.update(env or {})
        self.config = config
        self.args = list(args)
        self.preexec_fn = preexec_fn
        self.lines = []
        self.cond = threading.Condition()
        self.proc = None
        self.port = None
        self.sip_port = None

    def start(self, timeout=30):
        self.proc = subprocess.Popen([BINARY, "--config", self.config, *self.args], env=self.env,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, text=True, errors="replace",
                                     preexec_fn=self.preexec_fn)
        threading.Thread(target=self._collect, daemon=True).start()
        match = self.wait_for(READY, timeout)
        if match is None:
            self.kill()
            raise AssertionError("server did not become ready:\n" + self.output())
        self.port = int(match.group(2))
        self.sip_port = int(match.group(4))
        return self

    def _collect(self):
        for line in self.proc.stdout:
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()
        self.proc.stdout.close()
        with self.cond:
            self.lines.append(None)  # end of output
            self.cond.notify_all()

    def wait_for(self, pattern, timeout=30):
        """The first output line matching `pattern`, waiting for it; None if the output ended."""
        pattern = re.compile(pattern) if isinstance(pattern, str) else pattern
        seen = 0
        with self.cond:
            while True:
                for line in self.lines[seen:]:
                    if line is None:
                        return None
                    m = pattern.search(line)
                    if m:
                        return m
                seen = len(self.lines)
                if not self.cond.wait(timeout):
                    return None

    def output(self):
        with self.cond:
            return "\n".join(l for l in self.lines if l is not None)

    def stop(self, sig=signal.SIGTERM, timeout=30):
        """Sends `sig` and returns the exit code."""
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError("server did not stop after %s:\n%s" % (sig, self.output()))

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def cleanup(self):
        self.kill()
        if self.owned_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)

    @property
    def database(self):
        return os.path.join(self.data_dir, "switchboard.db")

    # --- HTTP -----------------------------------------------------------------------------
    def request(self, method, path, body=None, token=None, headers=None, raw_body=None):
        """(status, headers dict with lower-case names, parsed JSON or text)."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        h = dict(headers or {})
        data = raw_body
        if body is not None:
            data = json.dumps(body).encode()
            h.setdefault("Content-Type", "application/json")
        if token:
            h["Authorization"] = "Bearer " + token
        try:
            conn.request(method, path, body=data, headers=h)
            resp = conn.getresponse()
            payload = resp.read()
            resp_headers = {k.lower(): v for k, v in resp.getheaders()}
        finally:
            conn.close()
        if resp_headers.get("content-type", "").startswith("application/json") and payload:
            return resp.status, resp_headers, json.loads(payload)
        return resp.status, resp_headers, payload.decode("utf-8", "replace")

    def login(self, username, password):
        status, _, body = self.request("POST", "/api/v1/auth/login",
                                       {"username": username, "password": password})
        if status != 200:
            raise AssertionError("login %s failed: %s %s" % (username, status, body))
        return body["token"]


def wait_until(predicate, timeout=10, interval=0.05):
    """Polls `predicate` until it is true or `timeout` passes; returns its last value. For state
    that another process changes and that has no event to wait on (e.g. the registration list)."""
    import time
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def run_cli(args, config=DEMO_CONFIG, env=None, stdin=None, timeout=60):
    """Runs the switchboard command to completion: (exit code, stdout, stderr)."""
    full_env = dict(os.environ)
    full_env.update(env or {})
    proc = subprocess.run([BINARY, *(["--config", config] if config else []), *args], env=full_env,
                          input=stdin, capture_output=True, text=True, timeout=timeout)
    return proc.returncode, proc.stdout, proc.stderr


# Ports handed to peers come from a range that nothing takes on its own: below the kernel's
# ephemeral range (where every bind to port 0 and every outgoing socket lands) and apart from the
# demo's RTP range (20000-29999), which the servers under test bind. A cursor shared by every test
# process on the machine hands the range out in turn, so two tests never get the same port while
# both may still be using it: probing alone leaves a window between the probe and the peer's bind.
PEER_PORTS = range(10000, 20000)
PORT_CURSOR = os.path.join(tempfile.gettempdir(), "switchboard-test-ports")


def _bindable(port):
    for kind in (socket.SOCK_STREAM, socket.SOCK_DGRAM):
        with socket.socket(socket.AF_INET, kind) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                return False
    return True


def free_port(count=1):
    """A port nothing listens on right now, TCP and UDP, and that no other test was given lately
    (for peers that need a fixed port); with `count`, the first of that many consecutive free
    ports (baresip takes SIP port + 1 for TLS)."""
    with open(PORT_CURSOR, "a+") as cursor:
        fcntl.flock(cursor, fcntl.LOCK_EX)
        cursor.seek(0)
        text = cursor.read().strip()
        port = int(text) if text.isdigit() else PEER_PORTS.start
        for _ in range(len(PEER_PORTS)):
            if port + count > PEER_PORTS.stop:
                port = PEER_PORTS.start
            if all(_bindable(p) for p in range(port, port + count)):
                cursor.seek(0)
                cursor.truncate()
                cursor.write(str(port + count))
                return port
            port += 1
    raise RuntimeError("no %d free consecutive ports in %s" % (count, PEER_PORTS))


class DemoServerTest(unittest.TestCase):
    """One demo server for all tests of a class, with an administrator's token."""

    @classmethod
    def setUpClass(cls):
        cls.server = Server().start()
        cls.admin = cls.server.login("admin", "demo")

    @classmethod
    def tearDownClass(cls):
        code = cls.server.stop()
        cls.server.cleanup()
        assert code == 0, "server exited %s" % code
