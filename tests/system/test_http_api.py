"""The HTTP API of a real switchboard process with the demo data, over real sockets."""
import os
import socket
import sqlite3
import unittest

from harness import DemoServerTest, Server


class HttpApiTest(DemoServerTest):

    def assertError(self, response, status, code=None, field=None):
        got_status, headers, body = response
        self.assertEqual(got_status, status, body)
        self.assertTrue(headers["content-type"].startswith("application/json"), headers)
        self.assertIn("error", body)
        self.assertIsInstance(body["error"]["message"], str)
        self.assertTrue(body["error"]["message"])
        if code:
            self.assertEqual(body["error"]["code"], code)
        if field:
            self.assertEqual(body["error"].get("field"), field)
        return body["error"]

    # --- health, metrics, static ----------------------------------------------------------
    def test_healthz_answers_200(self):
        status, _, body = self.server.request("GET", "/healthz")
        self.assertEqual(status, 200)
        self.assertEqual(body["status"], "ok")

    def test_metrics_count_requests_by_status(self):
        self.server.request("GET", "/api/v1/does-not-exist")
        status, headers, text = self.server.request("GET", "/metrics")
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/plain"))
        self.assertIn("sb_uptime_seconds ", text)
        self.assertRegex(text, r'sb_http_requests_total\{code="404"\} [1-9]')
        self.assertRegex(text, r'sb_http_requests_total\{code="200"\} [1-9]')

    def test_root_serves_the_placeholder_page(self):
        status, headers, text = self.server.request("GET", "/")
        self.assertEqual(status, 200)
        self.assertTrue(headers["content-type"].startswith("text/html"))
        self.assertIn("Switchboard", text)

    def test_head_has_the_length_but_no_body(self):
        status, headers, text = self.server.request("HEAD", "/")
        self.assertEqual(status, 200)
        self.assertGreater(int(headers["content-length"]), 100)
        self.assertEqual(text, "")

    def test_path_traversal_is_refused(self):
        for path in ["/../config/demo.toml", "/%2e%2e/config/demo.toml", "/..%2fconfig%2fdemo.toml"]:
            status, _, _ = self.server.request("GET", path)
            self.assertIn(status, (400, 404), path)

    # --- sign-in ----------------------------------------------------------------------------
    def test_login_ok_returns_a_token_and_the_user(self):
        status, _, body = self.server.request("POST", "/api/v1/auth/login",
                                              {"username": "1001", "password": "demo"})
        self.assertEqual(status, 200, body)
        self.assertTrue(body["token"].startswith("sbt_"))
        self.assertEqual(body["token_type"], "Bearer")
        self.assertEqual(body["user"]["username"], "1001")
        self.assertEqual(body["user"]["roles"], ["agent"])

    def test_wrong_password_is_401(self):
        err = self.assertError(self.server.request("POST", "/api/v1/auth/login",
                                                   {"username": "1001", "password": "wrong"}), 401)
        self.assertEqual(err["code"], "invalid_credentials")

    def test_unknown_user_looks_like_a_wrong_password(self):
        a = self.server.request("POST", "/api/v1/auth/login", {"username": "1001", "password": "x"})
        b = self.server.request("POST", "/api/v1/auth/login", {"username": "9999", "password": "x"})
        self.assertEqual((a[0], a[2]), (b[0], b[2]))

    def test_malformed_json_is_400(self):
        for raw in [b"{", b"not json", b"[1,2]", b"", b'{"username": "1001", "password": }',
                    b"\xff\xfe{}"]:
            self.assertError(self.server.request("POST", "/api/v1/auth/login", raw_body=raw,
                                                 headers={"Content-Type": "application/json"}),
                             400, "invalid_argument")

    def test_missing_field_is_named(self):
        self.assertError(self.server.request("POST", "/api/v1/auth/login", {"username": "1001"}),
                         400, "invalid_argument", "password")

    def test_missing_token_is_401(self):
        status, headers, _ = self.server.request("GET", "/api/v1/me")
        self.assertEqual(status, 401)
        self.assertIn("bearer", headers.get("www-authenticate", "").lower())
        self.assertError(self.server.request("GET", "/api/v1/me"), 401, "unauthenticated")

    def test_forged_token_is_401(self):
        self.assertError(self.server.request("GET", "/api/v1/me", token="sbt_" + "A" * 43), 401)

    def test_me_describes_the_signed_in_user(self):
        token = self.server.login("1000", "demo")
        status, _, me = self.server.request("GET", "/api/v1/me", token=token)
        self.assertEqual(status, 200)
        self.assertEqual(me["username"], "1000")
        self.assertEqual(sorted(me["roles"]), ["agent", "supervisor"])
        self.assertEqual(len(me["skill_groups"]), 2)
        self.assertEqual(me["sip_password"], "demo")
        self.assertNotIn("password_hash", me)

    def test_logout_ends_the_token(self):
        token = self.server.login("1002", "demo")
        status, _, _ = self.server.request("POST", "/api/v1/auth/logout", token=token)
        self.assertEqual(status, 204)
        self.assertError(self.server.request("GET", "/api/v1/me", token=token), 401)

    # --- roles ------------------------------------------------------------------------------
    def test_agent_calling_an_admin_endpoint_is_403(self):
        token = self.server.login("1003", "demo")
        self.assertError(self.server.request("GET", "/api/v1/users", token=token), 403, "forbidden")
        self.assertError(self.server.request("POST", "/api/v1/users",
                                             {"username": "x1", "password": "xxxx"}, token=token),
                         403, "forbidden")

    def test_supervisor_is_not_an_admin_either(self):
        token = self.server.login("1000", "demo")
        self.assertError(self.server.request("DELETE", "/api/v1/users/3", token=token), 403)

    # --- password change --------------------------------------------------------------------
    def test_password_change_then_login_with_the_new_password(self):
        token = self.server.login("1009", "demo")
        status, _, body = self.server.request(
            "POST", "/api/v1/me/password",
            {"old_password": "demo", "new_password": "s3cret-1009", "confirm_password": "s3cret-1009"},
            token=token)
        self.assertEqual(status, 204, body)
        self.assertError(self.server.request("POST", "/api/v1/auth/login",
                                             {"username": "1009", "password": "demo"}), 401)
        self.server.login("1009", "s3cret-1009")

    def test_password_change_checks_old_and_confirmation(self):
        token = self.server.login("1008", "demo")
        self.assertError(self.server.request(
            "POST", "/api/v1/me/password",
            {"old_password": "nope", "new_password": "abcdef", "confirm_password": "abcdef"},
            token=token), 400, field="old_password")
        self.assertError(self.server.request(
            "POST", "/api/v1/me/password",
            {"old_password": "demo", "new_password": "abcdef", "confirm_password": "abcdeg"},
            token=token), 400, field="confirm_password")
        self.server.login("1008", "demo")

    # --- users (admin) ----------------------------------------------------------------------
    def test_admin_manages_an_agent_end_to_end(self):
        status, _, groups = self.server.request("GET", "/api/v1/skill-groups", token=self.admin)
        self.assertEqual(status, 200)
        names = {g["name"]: g["id"] for g in groups["skill_groups"]}
        self.assertIn("售前 Pre-sales", names)
        self.assertIn("售后 After-sales", names)

        status, headers, user = self.server.request("POST", "/api/v1/users", {
            "username": "2001", "name": "温平", "password": "pw-2001", "roles": ["agent"],
            "skill_groups": [{"id": names["售前 Pre-sales"], "level": 9}],
            "settings": {"auto_answer": True, "initial_state": "busy"}}, token=self.admin)
        self.assertEqual(status, 201, user)
        self.assertEqual(headers["location"], "/api/v1/users/%d" % user["id"])
        self.assertEqual(user["name"], "温平")
        self.assertEqual(user["skill_groups"][0]["level"], 9)
        self.assertTrue(user["settings"]["auto_answer"])
        self.assertEqual(user["settings"]["initial_state"], "busy")
        agent_token = self.server.login("2001", "pw-2001")

        status, _, listed = self.server.request("GET", "/api/v1/users", token=self.admin)
        self.assertIn("2001", [u["username"] for u in listed["users"]])
        self.assertNotIn("sip_password", listed["users"][0])

        status, _, patched = self.server.request(
            "PATCH", "/api/v1/users/%d" % user["id"],
            {"roles": ["agent", "handler"], "skill_groups": [{"name": "售后 After-sales"}]},
            token=self.admin)
        self.assertEqual(status, 200, patched)
        self.assertEqual(sorted(patched["roles"]), ["agent", "handler"])
        self.assertEqual([g["name"] for g in patched["skill_groups"]], ["售后 After-sales"])
        self.assertTrue(patched["settings"]["auto_answer"])

        status, _, _ = self.server.request("DELETE", "/api/v1/users/%d" % user["id"], token=self.admin)
        self.assertEqual(status, 204)
        self.assertError(self.server.request("GET", "/api/v1/users/%d" % user["id"], token=self.admin),
                         404, "not_found")
        self.assertError(self.server.request("GET", "/api/v1/me", token=agent_token), 401)

    def test_invalid_user_fields_are_named(self):
        cases = [
            ({"username": "bad name", "password": "pw-12345"}, "username"),
            ({"username": "2002", "password": "pw-12345", "roles": ["boss"]}, "roles"),
            ({"username": "2002", "password": "pw-12345", "settings": {"initial_state": "asleep"}},
             "settings.initial_state"),
            ({"username": "2002", "password": "pw-12345", "skill_groups": [{"id": 999}]},
             "skill_groups[0].id"),
            ({"username": "2002", "password": "pw-12345", "favourite": 1}, "favourite"),
        ]
        for body, field in cases:
            self.assertError(self.server.request("POST", "/api/v1/users", body, token=self.admin),
                             400, "invalid_argument", field)

    def test_duplicate_username_is_409(self):
        self.assertError(self.server.request("POST", "/api/v1/users",
                                             {"username": "1001", "password": "pw-12345"},
                                             token=self.admin), 409, "conflict")

    def test_unknown_user_id_is_404(self):
        self.assertError(self.server.request("PATCH", "/api/v1/users/424242", {"name": "x"},
                                             token=self.admin), 404)
        self.assertError(self.server.request("GET", "/api/v1/users/abc", token=self.admin), 404)

    # --- call records -----------------------------------------------------------------------
    def insert_call(self, call_id, agent, recording=""):
        """A call record as call control writes it, straight into the running server's database."""
        db = sqlite3.connect(self.server.database, timeout=10)
        try:
            with db:
                db.execute(
                    "INSERT INTO calls (id, direction, caller, called, did, ivr_path, group_id, "
                    "group_name, agent, arrived_at, queued_at, offered_at, answered_at, ended_at, "
                    "wait_ms, ring_ms, talk_ms, hold_ms, after_call_work_ms, end_reason, ended_by, "
                    "recording, voicemail) VALUES (?, 'inbound', '13800138000', '4000', '4000', '', "
                    "0, '', ?, 1795251600000, 0, 0, 1795251605000, 1795251660000, 0, 0, 55000, 0, "
                    "0, 'normal', 'caller', ?, '')", (call_id, agent, recording))
        finally:
            db.close()

    def test_a_recording_is_served_by_range_to_its_agent_only(self):
        os.makedirs(os.path.join(self.server.data_dir, "recordings"), exist_ok=True)
        with open(os.path.join(self.server.data_dir, "recordings", "sys-1.wav"), "wb") as f:
            f.write(b"RIFF0123456789")
        self.insert_call("sys-1", "1001", "recordings/sys-1.wav")
        token = self.server.login("1001", "demo")
        status, _, body = self.server.request("GET", "/api/v1/calls?number=13800138000",
                                              token=token)
        self.assertEqual(status, 200, body)
        self.assertIn("sys-1", [c["id"] for c in body["calls"]])
        url = "/api/v1/calls/sys-1/recording"
        status, headers, text = self.server.request("GET", url, token=token,
                                                    headers={"Range": "bytes=4-7"})
        self.assertEqual(status, 206)
        self.assertEqual(text, "0123")
        self.assertEqual(headers["content-range"], "bytes 4-7/14")
        self.assertEqual(headers["accept-ranges"], "bytes")
        self.assertEqual(headers["content-type"], "audio/wav")
        status, headers, text = self.server.request("HEAD", url, token=token,
                                                    headers={"Range": "bytes=-4"})
        self.assertEqual((status, headers["content-length"], text), (206, "4", ""))
        status, headers, _ = self.server.request("GET", url, token=token,
                                                 headers={"Range": "bytes=14-"})
        self.assertEqual(status, 416)
        self.assertEqual(headers["content-range"], "bytes */14")
        other = self.server.login("1002", "demo")
        self.assertError(self.server.request("GET", url, token=other), 404, "not_found")
        self.assertError(self.server.request("GET", "/api/v1/calls?agent=1001", token=other), 403)

    def test_queues_are_for_supervisors(self):
        status, _, body = self.server.request("GET", "/api/v1/queues", token=self.admin)
        self.assertEqual(status, 200, body)
        self.assertIsInstance(body["queues"], list)
        token = self.server.login("1004", "demo")
        self.assertError(self.server.request("GET", "/api/v1/queues", token=token), 403)

    # --- HTTP-level errors ------------------------------------------------------------------
    def test_unknown_api_path_is_404_json(self):
        self.assertError(self.server.request("GET", "/api/v1/nothing-here"), 404, "not_found")

    def test_wrong_method_is_405_with_allow(self):
        status, headers, _ = self.server.request("PUT", "/api/v1/users", {}, token=self.admin)
        self.assertEqual(status, 405)
        self.assertEqual(headers["allow"], "GET, POST")
        self.assertError(self.server.request("DELETE", "/api/v1/auth/login"), 405,
                         "method_not_allowed")

    def test_body_over_the_limit_is_413(self):
        big = b'{"username":"' + b"a" * (2 * 1024 * 1024) + b'"}'
        self.assertError(self.server.request("POST", "/api/v1/auth/login", raw_body=big,
                                             headers={"Content-Type": "application/json"}),
                         413, "payload_too_large")

    def raw_exchange(self, data):
        with socket.create_connection(("127.0.0.1", self.server.port), timeout=10) as s:
            s.sendall(data)
            s.shutdown(socket.SHUT_WR)
            reply = b""
            while chunk := s.recv(65536):
                reply += chunk
        return reply

    def test_garbage_gets_400_and_the_server_lives_on(self):
        reply = self.raw_exchange(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03garbage\r\n\r\n")
        self.assertTrue(reply.startswith(b"HTTP/1.1 400"), reply[:80])
        reply = self.raw_exchange(b"GET / HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n")
        self.assertTrue(reply.startswith(b"HTTP/1.1 400"), reply[:80])
        self.assertEqual(self.server.request("GET", "/healthz")[0], 200)

    def test_huge_headers_are_refused(self):
        reply = self.raw_exchange(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n")
        self.assertTrue(reply.startswith(b"HTTP/1.1 431"), reply[:80])
        self.assertEqual(self.server.request("GET", "/healthz")[0], 200)

    def test_keep_alive_serves_several_requests_on_one_connection(self):
        import http.client
        conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=10)
        try:
            for _ in range(5):
                conn.request("GET", "/healthz")
                resp = conn.getresponse()
                resp.read()
                self.assertEqual(resp.status, 200)
        finally:
            conn.close()


class RecordingStreamTest(DemoServerTest):
    """Downloads measured by the server's peak memory: its own server, whose AddressSanitizer
    (in the CI build) gives freed memory back at once instead of holding 256 MiB of it."""

    @classmethod
    def setUpClass(cls):
        asan = os.environ.get("ASAN_OPTIONS", "")
        cls.server = Server(env={"ASAN_OPTIONS": (asan + ":" if asan else "") +
                                 "quarantine_size_mb=1"}).start()
        cls.admin = cls.server.login("admin", "demo")

    def test_a_long_recording_is_streamed_not_held_in_memory(self):
        import concurrent.futures
        import hashlib
        import http.client
        size = 48 * 1024 * 1024
        content = os.urandom(size)
        os.makedirs(os.path.join(self.server.data_dir, "recordings"), exist_ok=True)
        with open(os.path.join(self.server.data_dir, "recordings", "sys-long.wav"), "wb") as f:
            f.write(content)
        HttpApiTest.insert_call(self, "sys-long", "1001", "recordings/sys-long.wav")
        token = self.server.login("1001", "demo")

        def peak_kib():
            with open("/proc/%d/status" % self.server.proc.pid) as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        return int(line.split()[1])
            raise AssertionError("no VmHWM")

        def download(_):
            conn = http.client.HTTPConnection("127.0.0.1", self.server.port, timeout=60)
            try:
                conn.request("GET", "/api/v1/calls/sys-long/recording",
                             headers={"Authorization": "Bearer " + token})
                resp = conn.getresponse()
                return resp.status, resp.getheader("Content-Length"), hashlib.sha256(
                    resp.read()).hexdigest()
            finally:
                conn.close()

        before = peak_kib()
        with concurrent.futures.ThreadPoolExecutor(3) as pool:
            results = list(pool.map(download, range(3)))
        expected = (200, str(size), hashlib.sha256(content).hexdigest())
        self.assertEqual(results, [expected] * 3)
        # Three downloads of 48 MiB at once: the server's peak grows by far less than one file.
        grown_mib = (peak_kib() - before) / 1024
        self.assertLess(grown_mib, 16, "the peak memory grew by %.1f MiB" % grown_mib)
        status, headers, _ = self.server.request(
            "GET", "/api/v1/calls/sys-long/recording", token=token,
            headers={"Range": "bytes=%d-%d" % (size - 10, size - 1)})
        self.assertEqual((status, headers["content-length"]), (206, "10"))


class SignInThrottlingTest(DemoServerTest):
    """Password guessing against a real server: its own, as it locks a user and an address."""

    def test_a_burst_of_guesses_gets_five_checks_then_429(self):
        import concurrent.futures
        guess = {"username": "1002", "password": "guess"}
        with concurrent.futures.ThreadPoolExecutor(10) as pool:
            statuses = list(pool.map(
                lambda _: self.server.request("POST", "/api/v1/auth/login", guess)[0], range(30)))
        # Guesses sent at once hold the budget while they are checked: five are, none more.
        self.assertEqual(statuses.count(401), 5, statuses)
        self.assertEqual(statuses.count(429), 25, statuses)
        status, headers, body = self.server.request(
            "POST", "/api/v1/auth/login", {"username": "1002", "password": "demo"})
        self.assertEqual(status, 429, body)
        self.assertEqual(body["error"]["code"], "too_many_attempts")
        self.assertGreater(int(headers["retry-after"]), 200)
        # Other users are not locked out by it.
        self.assertTrue(self.server.login("1003", "demo"))
        _, _, metrics = self.server.request("GET", "/metrics")
        self.assertIn('sb_auth_logins_total{result="throttled"} 26', metrics)


if __name__ == "__main__":
    unittest.main()
