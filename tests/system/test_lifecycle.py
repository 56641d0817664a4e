"""Starting, configuring and stopping the real switchboard process; the command line."""
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import unittest

from harness import BINARY, PEER_PORTS, Server, free_port, run_cli


def write_config(text):
    fd, path = tempfile.mkstemp(suffix=".toml", prefix="sb-config-")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    return path


class PeerPortTest(unittest.TestCase):
    """The fixed ports tests give SIPp and baresip: never the same one to two tests at once, and
    never from the kernel's ephemeral range, where any socket may take them first."""

    def test_test_processes_running_at_once_are_given_different_ports(self):
        script = ("import harness\n"
                  "print(' '.join('%d:%d' % (n, harness.free_port(n)) for n in [1, 4] * 50))")
        runs = [subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE,
                                 text=True, cwd=os.path.dirname(os.path.abspath(__file__)))
                for _ in range(3)]
        given = []
        for run in runs:
            out, _ = run.communicate(timeout=60)
            self.assertEqual(run.returncode, 0)
            for item in out.split():
                count, first = map(int, item.split(":"))
                given.extend(range(first, first + count))
        self.assertEqual(len(given), 3 * 50 * 5)
        self.assertEqual(len(set(given)), len(given), "a port was given twice")
        with open("/proc/sys/net/ipv4/ip_local_port_range") as f:
            low, high = map(int, f.read().split())
        for port in given:
            self.assertIn(port, PEER_PORTS)
            self.assertFalse(low <= port <= high, port)


class ConfigurationTest(unittest.TestCase):
    def assertBadConfig(self, text, key, env=None):
        path = write_config(text)
        try:
            code, out, err = run_cli([], config=path, env=env)
        finally:
            os.unlink(path)
        self.assertEqual(code, 2, out + err)
        self.assertIn(key, err)
        return err

    def test_unknown_key_exits_2_naming_it(self):
        err = self.assertBadConfig("[http]\nprot = 8080\n", "http.prot")
        self.assertIn("unknown key", err)

    def test_bad_value_exits_2_naming_the_key(self):
        self.assertBadConfig("[http]\nport = 99999\n", "http.port")
        self.assertBadConfig("[server]\nbind = \"somewhere\"\n", "server.bind")
        self.assertBadConfig("[rtp]\nports = \"30000\"\n", "rtp.ports")

    def test_toml_syntax_error_exits_2_with_the_line(self):
        err = self.assertBadConfig("[http]\nport = = 1\n", "line 2")

    def test_bad_environment_override_exits_2_naming_the_variable(self):
        self.assertBadConfig("", "SWITCHBOARD_HTTP_PORT", env={"SWITCHBOARD_HTTP_PORT": "eighty"})
        self.assertBadConfig("", "SWITCHBOARD_RTP_PORTS", env={"SWITCHBOARD_RTP_PORTS": "9-1"})

    def test_missing_config_file_exits_2(self):
        code, _, err = run_cli([], config="/nonexistent/sb.toml")
        self.assertEqual(code, 2)
        self.assertIn("/nonexistent/sb.toml", err)

    def test_version_and_help(self):
        code, out, _ = run_cli(["--version"], config=None)
        self.assertEqual(code, 0)
        self.assertRegex(out, r"switchboard \d+\.\d+\.\d+")
        code, out, _ = run_cli(["--help"], config=None)
        self.assertEqual(code, 0)
        for word in ("--config", "migrate", "user"):
            self.assertIn(word, out)

    def test_unknown_subcommand_exits_2(self):
        code, _, _ = run_cli(["frobnicate"])
        self.assertEqual(code, 2)


class LifecycleTest(unittest.TestCase):
    def test_sigterm_finishes_the_request_in_flight_and_exits_0_with_a_sound_database(self):
        server = Server().start()
        try:
            token = server.login("1001", "demo")
            with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
                body = b'{"username":"1002","password":"demo"}'
                s.sendall(b"POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\n"
                          b"Content-Type: application/json\r\nExpect: 100-continue\r\n"
                          b"Content-Length: %d\r\n\r\n" % len(body))
                # The server has read the request head once it says 100 Continue.
                self.assertTrue(s.recv(100).startswith(b"HTTP/1.1 100"))
                server.proc.send_signal(signal.SIGTERM)
                self.assertIsNotNone(server.wait_for("http stopped accepting"))
                # No new connections once it is stopping.
                with self.assertRaises(ConnectionRefusedError):
                    socket.create_connection(("127.0.0.1", server.port), timeout=5).close()
                s.sendall(body)
                reply = b""
                while chunk := s.recv(65536):
                    reply += chunk
            self.assertTrue(reply.startswith(b"HTTP/1.1 200"), reply[:200])
            self.assertIn(b'"token"', reply)
            self.assertEqual(server.proc.wait(30), 0, server.output())
            self.assertIsNotNone(server.wait_for("switchboard stopped"))
            db = sqlite3.connect(server.database)
            try:
                self.assertEqual(db.execute("PRAGMA integrity_check").fetchone()[0], "ok")
                self.assertEqual(db.execute("SELECT COUNT(*) FROM users").fetchone()[0], 12)
                self.assertGreaterEqual(db.execute("SELECT COUNT(*) FROM auth_tokens").fetchone()[0], 2)
            finally:
                db.close()
            # A clean stop folds the write-ahead log back into the database file.
            self.assertFalse(os.path.exists(server.database + "-wal") and
                             os.path.getsize(server.database + "-wal") > 0)
        finally:
            server.cleanup()

    def test_sigint_stops_cleanly_too(self):
        server = Server().start()
        try:
            self.assertEqual(server.stop(signal.SIGINT), 0, server.output())
        finally:
            server.cleanup()

    def test_two_instances_run_side_by_side(self):
        ports = [free_port() for _ in range(4)]
        a = Server(env={"SWITCHBOARD_HTTP_PORT": str(ports[0]), "SWITCHBOARD_SIP_PORT": str(ports[1]),
                        "SWITCHBOARD_RTP_PORTS": "31000-31099"})
        b = Server(env={"SWITCHBOARD_HTTP_PORT": str(ports[2]), "SWITCHBOARD_SIP_PORT": str(ports[3]),
                        "SWITCHBOARD_RTP_PORTS": "31100-31199"})
        try:
            a.start()
            b.start()
            self.assertEqual((a.port, b.port), (ports[0], ports[2]))
            for s in (a, b):
                self.assertEqual(s.request("GET", "/healthz")[0], 200)
            # Separate data: a user made on one is unknown to the other.
            admin = a.login("admin", "demo")
            status, _, _ = a.request("POST", "/api/v1/users", {"username": "only-a", "password": "pw-only-a"},
                                     token=admin)
            self.assertEqual(status, 201)
            a.login("only-a", "pw-only-a")
            self.assertEqual(b.request("POST", "/api/v1/auth/login",
                                       {"username": "only-a", "password": "pw-only-a"})[0], 401)
            self.assertNotEqual(a.database, b.database)
            self.assertEqual(a.stop(), 0)
            self.assertEqual(b.stop(), 0)
        finally:
            a.cleanup()
            b.cleanup()

    def test_a_taken_port_is_reported_and_exits_1(self):
        first = Server().start()
        try:
            second = Server(env={"SWITCHBOARD_HTTP_PORT": str(first.port)})
            try:
                second.proc = None
                code, out, err = run_cli([], env={"SWITCHBOARD_HTTP_PORT": str(first.port),
                                                  "SWITCHBOARD_DATA_DIR": second.data_dir,
                                                  "SWITCHBOARD_SIP_PORT": "0"})
                self.assertEqual(code, 1, out + err)
                self.assertIn("cannot listen", out + err)
                self.assertIn(str(first.port), out + err)
            finally:
                second.cleanup()
            self.assertEqual(first.request("GET", "/healthz")[0], 200)
        finally:
            first.stop()
            first.cleanup()


class ResourceExhaustionTest(unittest.TestCase):
    def test_running_out_of_descriptors_is_survived(self):
        import resource

        def few_descriptors():
            resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))

        server = Server(preexec_fn=few_descriptors).start()
        sockets = []
        try:
            # Under UBSan the first vptr check of a type opens /proc/self/maps, which fails once
            # descriptors run out: exercise the request and end-of-stream paths beforehand.
            server.login("1001", "demo")
            self.assertEqual(server.request("GET", "/healthz")[0], 200)
            for _ in range(100):
                sockets.append(socket.create_connection(("127.0.0.1", server.port), timeout=10))
            self.assertIsNotNone(server.wait_for("http accept failed"), server.output())
            for s in sockets:
                s.close()
            sockets = []
            self.assertEqual(server.request("GET", "/healthz")[0], 200)
            _, _, metrics = server.request("GET", "/metrics")
            self.assertRegex(metrics, r"sb_http_accept_failures_total [1-9]")
            self.assertEqual(server.stop(), 0)
        finally:
            for s in sockets:
                s.close()
            server.cleanup()


class DemoDataTest(unittest.TestCase):
    def test_demo_organisation_is_seeded_once(self):
        server = Server().start()
        try:
            admin = server.login("admin", "demo")
            for user in ["1000", "1001", "1005", "1010"]:
                server.login(user, "demo")
            status, _, users = server.request("GET", "/api/v1/users", token=admin)
            by_name = {u["username"]: u for u in users["users"]}
            self.assertEqual(sorted(by_name), sorted(["admin", "1000"] + [str(n) for n in range(1001, 1011)]))
            self.assertIn("supervisor", by_name["1000"]["roles"])
            self.assertEqual(by_name["admin"]["roles"], ["admin"])
            self.assertEqual(by_name["1001"]["roles"], ["agent"])
            status, _, deleted = server.request("DELETE", "/api/v1/users/%d" % by_name["1010"]["id"],
                                                token=admin)
            self.assertEqual(status, 204)
            self.assertEqual(server.stop(), 0)

            # A restart keeps what the administrator changed: 1010 stays deleted.
            again = Server(data_dir=server.data_dir).start()
            try:
                self.assertEqual(again.request("POST", "/api/v1/auth/login",
                                               {"username": "1010", "password": "demo"})[0], 401)
                again.login("1001", "demo")
                self.assertEqual(again.stop(), 0)
            finally:
                again.kill()
        finally:
            server.cleanup()


class OutsideDemoModeTest(unittest.TestCase):
    def setUp(self):
        self.data_dir = tempfile.mkdtemp(prefix="sb-prod-")
        self.config = write_config('[server]\ndemo = false\ndata_dir = "%s"\n' % self.data_dir)
        self.env = {"SWITCHBOARD_HTTP_PORT": "0", "SWITCHBOARD_SIP_PORT": "0"}

    def tearDown(self):
        os.unlink(self.config)
        import shutil
        shutil.rmtree(self.data_dir, ignore_errors=True)

    def test_no_default_passwords_and_the_first_admin_comes_from_the_cli(self):
        server = Server(config=self.config, data_dir=self.data_dir, env=self.env).start()
        try:
            self.assertIsNotNone(server.wait_for("there are no users yet"))
            for user, password in [("admin", "demo"), ("admin", "admin"), ("1001", "demo")]:
                self.assertEqual(server.request("POST", "/api/v1/auth/login",
                                                {"username": user, "password": password})[0], 401)

            code, out, err = run_cli(["user", "add", "boss", "--name", "The Boss", "--role", "admin"],
                                     config=self.config, stdin="Very-secret-1\n")
            self.assertEqual(code, 0, out + err)
            self.assertIn("created user boss", out)
            token = server.login("boss", "Very-secret-1")
            status, _, me = server.request("GET", "/api/v1/me", token=token)
            self.assertEqual(me["roles"], ["admin"])
            self.assertEqual(me["name"], "The Boss")

            code, out, err = run_cli(["user", "add", "boss"], config=self.config, stdin="Another-pw-1\n")
            self.assertEqual(code, 1)
            self.assertIn("already taken", err)
            code, _, err = run_cli(["user", "add", "weak"], config=self.config, stdin="short\n")
            self.assertEqual(code, 2)
            self.assertIn("password must be", err)
            code, _, err = run_cli(["user", "add", "x", "--role", "king"], config=self.config,
                                   stdin="Long-enough-1\n")
            self.assertEqual(code, 2)
            self.assertIn("unknown role", err)

            code, out, err = run_cli(["user", "passwd", "boss"], config=self.config, stdin="New-secret-2\n")
            self.assertEqual(code, 0, out + err)
            self.assertEqual(server.request("GET", "/api/v1/me", token=token)[0], 401)
            server.login("boss", "New-secret-2")
            code, _, err = run_cli(["user", "passwd", "nobody"], config=self.config, stdin="New-secret-2\n")
            self.assertEqual(code, 1)
            self.assertEqual(server.stop(), 0)
        finally:
            server.kill()

    def test_migrate_creates_the_schema(self):
        code, out, err = run_cli(["migrate"], config=self.config)
        self.assertEqual(code, 0, out + err)
        db = sqlite3.connect(os.path.join(self.data_dir, "switchboard.db"))
        try:
            version = db.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
            self.assertGreaterEqual(version, 1)
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
            self.assertTrue({"users", "skill_groups", "skill_group_members", "agent_settings",
                             "auth_tokens"} <= tables)
        finally:
            db.close()
        code, out, err = run_cli(["migrate"], config=self.config)
        self.assertEqual(code, 0)
        self.assertIn("0 migrations applied", out + err)


if __name__ == "__main__":
    unittest.main()
