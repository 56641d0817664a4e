// The API's handlers in-process, with a real store on disk and a clock the test moves.

#include "api/api_service.hpp"

#include <filesystem>
#include <fstream>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "auth/passwords.hpp"

namespace sb::api {
namespace {

namespace fs = std::filesystem;
namespace json = boost::json;
using store::Role;

class ApiServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("sb-api-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_ / "web");
    config_.dataDir = dir_;
    config_.staticDir = dir_ / "web";
    config_.tokenTtl = std::chrono::seconds(3600);
    config_.minPasswordLength = 4;
    store_ = store::openSqliteStore(dir_ / "db");
    store_->migrate(clock_.now());
    group_ = store_->skillGroups().create("售前 Pre-sales", clock_.now())->id;
    auto hash = auth::hashPassword("demo", auth::HashCost::kTest);
    adminId_ =
        store_->users()
            .create({"admin", "Administrator", hash, "sip", {Role::kAdmin}, {}, {}}, clock_.now())
            ->id;
    agentId_ = store_->users()
                   .create({"1001", "Agent", hash, "sip", {Role::kAgent}, {}, {}}, clock_.now())
                   ->id;
    service_ = std::make_unique<ApiService>(
        ApiService::Deps{config_, *store_, storePool_, blockingPool_, metrics_, clock_});
  }

  void TearDown() override {
    service_.reset();
    storePool_.stop();
    store_.reset();
    fs::remove_all(dir_);
  }

  // `path` may carry a query ("/api/v1/calls?limit=5").
  Response call(std::string method, std::string path, std::string body = {},
                const std::string& token = {}, const std::string& range = {}) {
    Request request;
    request.method = std::move(method);
    auto question = path.find('?');
    if (question != std::string::npos) {
      request.query = path.substr(question + 1);
      path.resize(question);
    }
    request.path = std::move(path);
    request.body = std::move(body);
    if (!token.empty()) request.authorization = "Bearer " + token;
    request.range = range;
    Response response;
    asio::io_context loop;
    asio::co_spawn(
        loop, [&]() -> asio::awaitable<void> { response = co_await service_->handle(request); },
        [](std::exception_ptr e) {
          if (e) std::rethrow_exception(e);
        });
    loop.run();
    if (response.source) {
      // What the server would send: the streamed body, read in small chunks.
      EXPECT_TRUE(response.body.empty());
      while (response.body.size() < response.source->length) {
        auto chunk = response.source->next(3);
        if (chunk.empty()) break;
        response.body += chunk;
      }
      EXPECT_EQ(response.body.size(), response.source->length);
    }
    return response;
  }

  std::string login(const std::string& username, const std::string& password) {
    auto r = call("POST", "/api/v1/auth/login",
                  json::serialize(json::object{{"username", username}, {"password", password}}));
    EXPECT_EQ(r.status, 200) << r.body;
    if (r.status != 200) return {};
    return std::string(json::parse(r.body).at("token").as_string());
  }

  static std::string errorField(const Response& r, const char* key) {
    auto v = json::parse(r.body);
    const auto* value = v.at("error").as_object().if_contains(key);
    return value ? std::string(value->as_string()) : std::string();
  }

  fs::path dir_;
  config::Config config_;
  ManualClock clock_{1'800'000'000};
  MetricsRegistry metrics_;
  WorkerPool storePool_{"test-store", 1};
  WorkerPool blockingPool_{"test-blocking", 1};
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<ApiService> service_;
  std::int64_t adminId_ = 0;
  std::int64_t agentId_ = 0;
  std::int64_t group_ = 0;
};

TEST_F(ApiServiceTest, TokensStopWorkingWhenTheyExpire) {
  auto token = login("1001", "demo");
  EXPECT_EQ(call("GET", "/api/v1/me", {}, token).status, 200);
  clock_.advance(std::chrono::seconds(3599));
  EXPECT_EQ(call("GET", "/api/v1/me", {}, token).status, 200);
  clock_.advance(std::chrono::seconds(1));
  auto r = call("GET", "/api/v1/me", {}, token);
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(errorField(r, "code"), "unauthenticated");
}

TEST_F(ApiServiceTest, UnknownUserAndWrongPasswordLookTheSame) {
  auto unknown = call("POST", "/api/v1/auth/login", R"({"username":"9999","password":"demo"})");
  auto wrong = call("POST", "/api/v1/auth/login", R"({"username":"1001","password":"nope"})");
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(unknown.status, wrong.status);
  EXPECT_EQ(unknown.body, wrong.body);
}

TEST_F(ApiServiceTest, RepeatedFailedSignInsAreRefusedForAWhileWithoutACheck) {
  const auto wrong = R"({"username":"1001","password":"nope"})";
  for (int i = 0; i < 5; ++i)
    ASSERT_EQ(call("POST", "/api/v1/auth/login", wrong).status, 401) << i;
  clock_.advance(std::chrono::seconds(60));
  // Locked: the right password too, with the time left.
  auto refused = call("POST", "/api/v1/auth/login", R"({"username":"1001","password":"demo"})");
  EXPECT_EQ(refused.status, 429);
  EXPECT_EQ(errorField(refused, "code"), "too_many_attempts");
  EXPECT_NE(std::find(refused.headers.begin(), refused.headers.end(),
                      std::pair<std::string, std::string>{"Retry-After", "240"}),
            refused.headers.end());
  EXPECT_NE(metrics_.renderPrometheus().find(R"(sb_auth_logins_total{result="throttled"} 1)"),
            std::string::npos);
  // Another user signs in from the same place meanwhile.
  login("admin", "demo");
  clock_.advance(std::chrono::seconds(240));
  login("1001", "demo");
}

TEST_F(ApiServiceTest, LogoutEndsTheSession) {
  auto token = login("1001", "demo");
  EXPECT_EQ(call("POST", "/api/v1/auth/logout", {}, token).status, 204);
  EXPECT_EQ(call("GET", "/api/v1/me", {}, token).status, 401);
}

TEST_F(ApiServiceTest, ChangingThePasswordEndsOtherSessionsOnly) {
  auto mine = login("1001", "demo");
  auto other = login("1001", "demo");
  auto r = call("POST", "/api/v1/me/password",
                R"({"old_password":"demo","new_password":"n3w!","confirm_password":"n3w!"})", mine);
  ASSERT_EQ(r.status, 204) << r.body;
  EXPECT_EQ(call("GET", "/api/v1/me", {}, mine).status, 200);
  EXPECT_EQ(call("GET", "/api/v1/me", {}, other).status, 401);
  EXPECT_EQ(call("POST", "/api/v1/auth/login", R"({"username":"1001","password":"demo"})").status,
            401);
  login("1001", "n3w!");
}

TEST_F(ApiServiceTest, AWrongOldPasswordIsNamed) {
  auto token = login("1001", "demo");
  auto r =
      call("POST", "/api/v1/me/password",
           R"({"old_password":"dem0","new_password":"n3w!","confirm_password":"n3w!"})", token);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(errorField(r, "field"), "old_password");
}

TEST_F(ApiServiceTest, AgentsAndHandlersMayNotManageUsers) {
  auto token = login("1001", "demo");
  auto r = call("GET", "/api/v1/users", {}, token);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(errorField(r, "code"), "forbidden");
  EXPECT_EQ(call("DELETE", "/api/v1/users/1", {}, token).status, 403);
}

TEST_F(ApiServiceTest, AdminCreatesAUserWithSkillGroupsByName) {
  auto token = login("admin", "demo");
  auto r = call(
      "POST", "/api/v1/users",
      R"({"username":"1002","password":"pw-1002","skill_groups":[{"name":"售前 Pre-sales","level":8}]})",
      token);
  ASSERT_EQ(r.status, 201) << r.body;
  auto user = json::parse(r.body).as_object();
  EXPECT_EQ(user.at("skill_groups").as_array().at(0).at("id").as_int64(), group_);
  EXPECT_EQ(user.at("sip_password").as_string().size(), 12U);
  login("1002", "pw-1002");
}

TEST_F(ApiServiceTest, UnknownSkillGroupIsNamedAndNothingIsCreated) {
  auto token = login("admin", "demo");
  auto r =
      call("POST", "/api/v1/users",
           R"({"username":"1002","password":"pw-1002","skill_groups":[{"name":"VIP"}]})", token);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(errorField(r, "field"), "skill_groups[0].name");
  EXPECT_FALSE(store_->users().findByUsername("1002"));
}

TEST_F(ApiServiceTest, DuplicateUsernameIsAConflict) {
  auto token = login("admin", "demo");
  auto r = call("POST", "/api/v1/users", R"({"username":"1001","password":"pw-1001"})", token);
  EXPECT_EQ(r.status, 409);
}

TEST_F(ApiServiceTest, TheLastAdministratorKeepsTheAdminRole) {
  auto token = login("admin", "demo");
  auto r =
      call("PATCH", "/api/v1/users/" + std::to_string(adminId_), R"({"roles":["agent"]})", token);
  EXPECT_EQ(r.status, 409);
  EXPECT_TRUE(store_->users().findById(adminId_)->roles.has(Role::kAdmin));
}

TEST_F(ApiServiceTest, AdministratorsCannotDeleteThemselves) {
  auto token = login("admin", "demo");
  EXPECT_EQ(call("DELETE", "/api/v1/users/" + std::to_string(adminId_), {}, token).status, 409);
  EXPECT_EQ(call("DELETE", "/api/v1/users/" + std::to_string(agentId_), {}, token).status, 204);
  EXPECT_EQ(call("DELETE", "/api/v1/users/" + std::to_string(agentId_), {}, token).status, 404);
}

TEST_F(ApiServiceTest, APasswordResetSignsTheUserOut) {
  auto agent = login("1001", "demo");
  auto admin = login("admin", "demo");
  auto r = call("PATCH", "/api/v1/users/" + std::to_string(agentId_), R"({"password":"reset-1"})",
                admin);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(call("GET", "/api/v1/me", {}, agent).status, 401);
  login("1001", "reset-1");
}

TEST_F(ApiServiceTest, PatchMergesSettings) {
  auto admin = login("admin", "demo");
  auto r = call("PATCH", "/api/v1/users/" + std::to_string(agentId_),
                R"({"settings":{"auto_answer":true}})", admin);
  ASSERT_EQ(r.status, 200);
  r = call("PATCH", "/api/v1/users/" + std::to_string(agentId_),
           R"({"settings":{"initial_state":"busy"}})", admin);
  auto settings = json::parse(r.body).at("settings").as_object();
  EXPECT_TRUE(settings.at("auto_answer").as_bool());
  EXPECT_EQ(settings.at("initial_state").as_string(), "busy");
}

TEST_F(ApiServiceTest, UnknownEndpointsAndMethods) {
  EXPECT_EQ(call("GET", "/api/v1/nothing").status, 404);
  auto r = call("DELETE", "/api/v1/me");
  EXPECT_EQ(r.status, 405);
  ASSERT_FALSE(r.headers.empty());
  EXPECT_EQ(r.headers[0].first, "Allow");
  EXPECT_EQ(call("POST", "/index.html").status, 405);
}

TEST_F(ApiServiceTest, StaticFilesAreServedAndTraversalIsRefused) {
  { std::ofstream(dir_ / "web" / "index.html") << "<h1>hi</h1>"; }
  auto r = call("GET", "/");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "<h1>hi</h1>");
  EXPECT_EQ(r.contentType, "text/html; charset=utf-8");
  EXPECT_EQ(call("GET", "/%2e%2e/db").status, 400);
  EXPECT_EQ(call("GET", "/missing.js").status, 404);
}

TEST_F(ApiServiceTest, AMalformedBearerHeaderIsUnauthenticated) {
  for (auto header : {"", "Bearer", "Basic YWRtaW46ZGVtbw==", "Bearer    ", "bearer x"}) {
    Request request;
    request.method = "GET";
    request.path = "/api/v1/me";
    request.authorization = header;
    Response response;
    asio::io_context loop;
    asio::co_spawn(
        loop, [&]() -> asio::awaitable<void> { response = co_await service_->handle(request); },
        asio::detached);
    loop.run();
    EXPECT_EQ(response.status, 401) << header;
  }
}

// Call records (通话记录) and their files.

class CallsApiTest : public ApiServiceTest {
 protected:
  static constexpr store::UnixMillis kT0 = 1'795'251'600'000;  // 2026-11-21T09:00:00Z

  void SetUp() override {
    ApiServiceTest::SetUp();
    auto hash = auth::hashPassword("demo", auth::HashCost::kTest);
    ASSERT_TRUE(store_->users()
                    .create({"1002", "Agent", hash, "sip", {Role::kAgent}, {}, {}}, clock_.now())
                    .ok());
    ASSERT_TRUE(
        store_->users()
            .create({"boss", "Supervisor", hash, "sip", {Role::kSupervisor, Role::kAgent}, {}, {}},
                    clock_.now())
            .ok());
  }

  static store::CallRecord callRecord(const std::string& id, store::UnixMillis arrivedAt,
                                      const std::string& agent) {
    store::CallRecord r;
    r.id = id;
    r.caller = "13800138000";
    r.called = "4000";
    r.did = "02150001234";
    r.agent = agent;
    r.arrivedAt = arrivedAt;
    r.endedAt = arrivedAt + 30'000;
    return r;
  }

  void insert(const store::CallRecord& r) {
    auto ok = store_->calls().insert(r);
    ASSERT_TRUE(ok.ok()) << ok.error().message;
  }

  void writeFile(const fs::path& relative, const std::string& content) {
    fs::create_directories((dir_ / relative).parent_path());
    std::ofstream(dir_ / relative, std::ios::binary) << content;
  }

  static std::vector<std::string> ids(const Response& r) {
    std::vector<std::string> out;
    auto parsed = json::parse(r.body);
    for (const auto& c : parsed.at("calls").as_array())
      out.emplace_back(c.at("id").as_string());
    return out;
  }

  static std::string header(const Response& r, std::string_view name) {
    for (const auto& [key, value] : r.headers) {
      if (key == name) return value;
    }
    return "<none>";
  }

  using Ids = std::vector<std::string>;
};

TEST_F(CallsApiTest, CallsAreListedNewestFirstAndNarrowedByEachFilter) {
  auto a = callRecord("a", kT0, "1001");
  auto b = callRecord("b", kT0 + 3'600'000, "1002");
  b.caller = "13911112222";
  auto c = callRecord("c", kT0 + 7'200'000, "");
  c.endReason = store::CallEndReason::kQueueAbandoned;
  insert(a);
  insert(b);
  insert(c);
  auto admin = login("admin", "demo");
  auto r = call("GET", "/api/v1/calls", {}, admin);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(ids(r), (Ids{"c", "b", "a"}));
  EXPECT_EQ(json::parse(r.body).at("limit").as_int64(), 100);
  EXPECT_EQ(json::parse(r.body).at("offset").as_int64(), 0);

  EXPECT_EQ(ids(call("GET", "/api/v1/calls?agent=1002", {}, admin)), (Ids{"b"}));
  EXPECT_EQ(ids(call("GET", "/api/v1/calls?number=13911112222", {}, admin)), (Ids{"b"}));
  EXPECT_EQ(ids(call("GET", "/api/v1/calls?number=4000", {}, admin)), (Ids{"c", "b", "a"}));
  EXPECT_EQ(ids(call("GET", "/api/v1/calls?end_reason=queue_abandoned", {}, admin)), (Ids{"c"}));
  EXPECT_EQ(ids(call("GET", "/api/v1/calls?from=2026-11-21T10:00:00Z", {}, admin)),
            (Ids{"c", "b"}));
  EXPECT_EQ(ids(call("GET", "/api/v1/calls?to=2026-11-21T19:00:00%2B08:00", {}, admin)),
            (Ids{"b", "a"}));
  EXPECT_EQ(ids(call("GET", "/api/v1/calls?from=1795251600&to=1795255200", {}, admin)), (Ids{"a"}));
  r = call("GET", "/api/v1/calls?limit=1&offset=1", {}, admin);
  EXPECT_EQ(ids(r), (Ids{"b"}));
  EXPECT_EQ(json::parse(r.body).at("limit").as_int64(), 1);
  EXPECT_EQ(json::parse(r.body).at("offset").as_int64(), 1);
}

TEST_F(CallsApiTest, BadFiltersNameTheParameter) {
  auto admin = login("admin", "demo");
  for (auto [query, field] : {std::pair{"end_reason=hung_up", "end_reason"},
                              {"limit=0", "limit"},
                              {"limit=1001", "limit"},
                              {"offset=-1", "offset"},
                              {"from=2026-11-21", "from"},
                              {"sort=asc", "sort"}}) {
    auto r = call("GET", std::string("/api/v1/calls?") + query, {}, admin);
    EXPECT_EQ(r.status, 400) << query;
    EXPECT_EQ(errorField(r, "field"), field) << query;
  }
  EXPECT_EQ(call("GET", "/api/v1/calls").status, 401);
}

TEST_F(CallsApiTest, ARecordIsServedWithItsLegsTimesInMillisecondsAndDownloadLinks) {
  auto r = callRecord("c-1", kT0 + 250, "1001");
  r.direction = store::CallDirection::kInbound;
  r.groupId = group_;
  r.groupName = "售前 Pre-sales";
  r.ivrPath = "hours>welcome>menu[1]>pre-sales";
  r.queuedAt = kT0 + 4'000;
  r.answeredAt = kT0 + 10'000;
  r.talkMs = 20'250;
  r.waitMs = 6'000;
  r.endedBy = "agent";
  r.recording = "recordings/c-1.wav";
  r.legs = {
      {"caller", "13800138000", "abc@host", kT0, kT0 + 10'000, kT0 + 30'250, 200, 4.2, 1500, 3,
       2.5},
      {"agent", "1001", "def@host", kT0 + 8'000, kT0 + 10'000, kT0 + 30'250, 200, 0, 0, 0, 0}};
  insert(r);
  auto token = login("1001", "demo");
  auto got = call("GET", "/api/v1/calls/c-1", {}, token);
  ASSERT_EQ(got.status, 200) << got.body;
  auto v = json::parse(got.body).as_object();
  EXPECT_EQ(v.at("id").as_string(), "c-1");
  EXPECT_EQ(v.at("direction").as_string(), "inbound");
  EXPECT_EQ(v.at("caller").as_string(), "13800138000");
  EXPECT_EQ(v.at("did").as_string(), "02150001234");
  EXPECT_EQ(v.at("group_id").as_int64(), group_);
  EXPECT_EQ(v.at("group_name").as_string(), "售前 Pre-sales");
  EXPECT_EQ(v.at("agent").as_string(), "1001");
  EXPECT_EQ(v.at("arrived_at").as_string(), "2026-11-21T09:00:00.250Z");
  EXPECT_EQ(v.at("answered_at").as_string(), "2026-11-21T09:00:10.000Z");
  EXPECT_TRUE(v.at("offered_at").is_null());
  EXPECT_EQ(v.at("talk_ms").as_int64(), 20'250);
  EXPECT_EQ(v.at("after_call_work_ms").as_int64(), 0);
  EXPECT_EQ(v.at("end_reason").as_string(), "normal");
  EXPECT_EQ(v.at("ended_by").as_string(), "agent");
  EXPECT_EQ(v.at("recording_url").as_string(), "/api/v1/calls/c-1/recording");
  EXPECT_TRUE(v.at("voicemail_url").is_null());
  EXPECT_FALSE(v.contains("recording"));
  const auto& legs = v.at("legs").as_array();
  ASSERT_EQ(legs.size(), 2U);
  EXPECT_EQ(legs[0].at("sip_call_id").as_string(), "abc@host");
  EXPECT_DOUBLE_EQ(legs[0].at("mos").as_double(), 4.2);
  EXPECT_EQ(legs[0].at("packets_lost").as_int64(), 3);
  EXPECT_TRUE(legs[1].at("mos").is_null());
  EXPECT_EQ(legs[1].at("ended_at").as_string(), "2026-11-21T09:00:30.250Z");

  // Lists leave the legs out.
  auto list = call("GET", "/api/v1/calls", {}, token);
  EXPECT_FALSE(json::parse(list.body).at("calls").as_array().at(0).as_object().contains("legs"));
}

TEST_F(CallsApiTest, CallIdsThatAreNotUrlSafeAreEscapedInLinks) {
  auto r = callRecord("a b/c", kT0, "1001");
  r.voicemail = "voicemail/x.wav";
  insert(r);
  writeFile("voicemail/x.wav", "RIFF");
  auto admin = login("admin", "demo");
  auto got = call("GET", "/api/v1/calls/a%20b%2Fc", {}, admin);
  ASSERT_EQ(got.status, 200) << got.body;
  auto url = std::string(json::parse(got.body).at("voicemail_url").as_string());
  EXPECT_EQ(url, "/api/v1/calls/a%20b%2Fc/voicemail");
  EXPECT_EQ(call("GET", url, {}, admin).body, "RIFF");
}

TEST_F(CallsApiTest, AgentsSeeOnlyTheirOwnCalls) {
  auto mine = callRecord("mine", kT0, "1001");
  mine.recording = "recordings/mine.wav";
  auto theirs = callRecord("theirs", kT0 + 1, "1002");
  theirs.recording = "recordings/theirs.wav";
  insert(mine);
  insert(theirs);
  insert(callRecord("nobody", kT0 + 2, ""));
  writeFile("recordings/mine.wav", "mine");
  writeFile("recordings/theirs.wav", "theirs");

  auto agent = login("1001", "demo");
  EXPECT_EQ(ids(call("GET", "/api/v1/calls", {}, agent)), (Ids{"mine"}));
  EXPECT_EQ(ids(call("GET", "/api/v1/calls?agent=1001", {}, agent)), (Ids{"mine"}));
  EXPECT_EQ(ids(call("GET", "/api/v1/calls?number=4000", {}, agent)), (Ids{"mine"}));
  auto r = call("GET", "/api/v1/calls?agent=1002", {}, agent);
  EXPECT_EQ(r.status, 403);
  EXPECT_EQ(errorField(r, "code"), "forbidden");

  EXPECT_EQ(call("GET", "/api/v1/calls/mine", {}, agent).status, 200);
  EXPECT_EQ(call("GET", "/api/v1/calls/mine/recording", {}, agent).body, "mine");
  for (auto path : {"/api/v1/calls/theirs", "/api/v1/calls/theirs/recording",
                    "/api/v1/calls/nobody", "/api/v1/calls/theirs/voicemail"}) {
    r = call("GET", path, {}, agent);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(errorField(r, "code"), "not_found") << path;
  }

  // A supervisor (who is also an agent) and an administrator see every call.
  auto boss = login("boss", "demo");
  EXPECT_EQ(ids(call("GET", "/api/v1/calls", {}, boss)), (Ids{"nobody", "theirs", "mine"}));
  EXPECT_EQ(ids(call("GET", "/api/v1/calls?agent=1002", {}, boss)), (Ids{"theirs"}));
  EXPECT_EQ(call("GET", "/api/v1/calls/theirs/recording", {}, boss).body, "theirs");
  auto admin = login("admin", "demo");
  EXPECT_EQ(call("GET", "/api/v1/calls/theirs", {}, admin).status, 200);
}

TEST_F(CallsApiTest, UnknownCallsAndMissingFilesAreNotFound) {
  auto r = callRecord("c-1", kT0, "1001");
  r.recording = "recordings/gone.wav";
  insert(r);
  auto admin = login("admin", "demo");
  for (auto path :
       {"/api/v1/calls/nope", "/api/v1/calls/nope/recording", "/api/v1/calls/c-1/recording",
        "/api/v1/calls/c-1/voicemail", "/api/v1/calls/%zz"}) {
    auto got = call("GET", path, {}, admin);
    EXPECT_EQ(got.status, 404) << path;
    EXPECT_EQ(got.contentType, "application/json") << path;
    EXPECT_EQ(errorField(got, "code"), "not_found") << path;
  }
  EXPECT_EQ(call("POST", "/api/v1/calls/c-1", {}, admin).status, 405);
}

TEST_F(CallsApiTest, RecordingsAreServedWholeOrByRange) {
  const std::string wav = "RIFF0123456789";  // 14 bytes
  auto r = callRecord("c-1", kT0, "1001");
  r.recording = "recordings/2026/11/21/c-1.wav";
  insert(r);
  writeFile(r.recording, wav);
  auto token = login("1001", "demo");
  const std::string url = "/api/v1/calls/c-1/recording";

  auto whole = call("GET", url, {}, token);
  EXPECT_EQ(whole.status, 200);
  EXPECT_EQ(whole.body, wav);
  EXPECT_EQ(whole.contentType, "audio/wav");
  EXPECT_EQ(header(whole, "Accept-Ranges"), "bytes");
  EXPECT_EQ(header(whole, "Content-Range"), "<none>");

  auto part = call("GET", url, {}, token, "bytes=4-7");
  EXPECT_EQ(part.status, 206);
  EXPECT_EQ(part.body, "0123");
  EXPECT_EQ(header(part, "Content-Range"), "bytes 4-7/14");
  EXPECT_EQ(header(part, "Accept-Ranges"), "bytes");

  auto tail = call("GET", url, {}, token, "bytes=10-");
  EXPECT_EQ(tail.status, 206);
  EXPECT_EQ(tail.body, "6789");
  EXPECT_EQ(header(tail, "Content-Range"), "bytes 10-13/14");

  auto suffix = call("GET", url, {}, token, "bytes=-3");
  EXPECT_EQ(suffix.status, 206);
  EXPECT_EQ(suffix.body, "789");
  EXPECT_EQ(header(suffix, "Content-Range"), "bytes 11-13/14");

  auto clamped = call("GET", url, {}, token, "bytes=12-100");
  EXPECT_EQ(clamped.status, 206);
  EXPECT_EQ(clamped.body, "89");

  auto past = call("GET", url, {}, token, "bytes=14-");
  EXPECT_EQ(past.status, 416);
  EXPECT_EQ(header(past, "Content-Range"), "bytes */14");
  EXPECT_EQ(errorField(past, "code"), "range_not_satisfiable");

  auto several = call("GET", url, {}, token, "bytes=0-1,4-5");
  EXPECT_EQ(several.status, 200);
  EXPECT_EQ(several.body, wav);
}

TEST_F(CallsApiTest, StoredPathsLeavingTheDataFolderAreRefused) {
  // A file beside the data folder, reachable by "..", and one named by an absolute path.
  fs::path outside = dir_.parent_path() / (dir_.filename().string() + "-secret.wav");
  std::ofstream(outside) << "secret";
  auto dotdot = callRecord("dotdot", kT0, "1001");
  dotdot.recording = "../" + outside.filename().string();
  auto absolute = callRecord("absolute", kT0 + 1, "1001");
  absolute.recording = outside.string();
  insert(dotdot);
  insert(absolute);
  auto admin = login("admin", "demo");
  for (auto path : {"/api/v1/calls/dotdot/recording", "/api/v1/calls/absolute/recording"}) {
    auto r = call("GET", path, {}, admin);
    EXPECT_EQ(r.status, 404) << path;
    EXPECT_EQ(r.body.find("secret"), std::string::npos) << path;
  }
  fs::remove(outside);
}

class FakeQueues final : public Telephony {
 public:
  std::vector<RegistrationView> registrations() const override { return {}; }
  std::vector<BanView> bans() const override { return {}; }
  bool unban(const std::string&) override { return false; }
  std::vector<QueueStatsView> queues() const override {
    QueueStatsView q;
    q.groupId = 3;
    q.group = "售后 After-sales";
    q.waiting = 2;
    q.longestWaitSeconds = 41;
    q.agentsSignedIn = 6;
    q.agentsIdle = 1;
    q.agentsRinging = 1;
    q.agentsTalking = 2;
    q.agentsAfterCallWork = 1;
    q.agentsOnBreak = 1;
    q.answered = 30;
    q.answeredWithinThreshold = 24;
    q.abandoned = 10;
    q.overflowed = 1;
    q.serviceLevel = 0.6;
    q.averageSpeedOfAnswerSeconds = 12.5;
    q.abandonRate = 0.25;
    return {q};
  }
};

TEST_F(CallsApiTest, QueuesShowTheAcdFiguresToSupervisors) {
  auto admin = login("admin", "demo");
  auto r = call("GET", "/api/v1/queues", {}, admin);
  ASSERT_EQ(r.status, 200);
  EXPECT_TRUE(json::parse(r.body).at("queues").as_array().empty());  // no telephony

  FakeQueues telephony;
  MetricsRegistry metrics;  // the first service's gauges point at it
  service_ = std::make_unique<ApiService>(
      ApiService::Deps{config_, *store_, storePool_, blockingPool_, metrics, clock_, &telephony});
  auto boss = login("boss", "demo");
  r = call("GET", "/api/v1/queues", {}, boss);
  ASSERT_EQ(r.status, 200) << r.body;
  auto queues = json::parse(r.body).at("queues").as_array();
  ASSERT_EQ(queues.size(), 1U);
  auto q = queues[0].as_object();
  EXPECT_EQ(q.at("group_id").as_int64(), 3);
  EXPECT_EQ(q.at("group").as_string(), "售后 After-sales");
  EXPECT_EQ(q.at("waiting").as_int64(), 2);
  EXPECT_EQ(q.at("longest_wait_seconds").as_int64(), 41);
  auto agents = q.at("agents").as_object();
  EXPECT_EQ(agents.at("signed_in").as_int64(), 6);
  EXPECT_EQ(agents.at("idle").as_int64(), 1);
  EXPECT_EQ(agents.at("ringing").as_int64(), 1);
  EXPECT_EQ(agents.at("talking").as_int64(), 2);
  EXPECT_EQ(agents.at("after_call_work").as_int64(), 1);
  EXPECT_EQ(agents.at("on_break").as_int64(), 1);
  EXPECT_EQ(q.at("answered").as_int64(), 30);
  EXPECT_EQ(q.at("answered_within_threshold").as_int64(), 24);
  EXPECT_EQ(q.at("abandoned").as_int64(), 10);
  EXPECT_EQ(q.at("overflowed").as_int64(), 1);
  EXPECT_EQ(q.at("service_level_threshold_seconds").as_int64(), 20);
  EXPECT_DOUBLE_EQ(q.at("service_level_target").as_double(), 0.8);
  EXPECT_DOUBLE_EQ(q.at("service_level").as_double(), 0.6);
  EXPECT_DOUBLE_EQ(q.at("average_speed_of_answer_seconds").as_double(), 12.5);
  EXPECT_DOUBLE_EQ(q.at("abandon_rate").as_double(), 0.25);

  auto agent = login("1001", "demo");
  EXPECT_EQ(call("GET", "/api/v1/queues", {}, agent).status, 403);
  service_.reset();  // before the telephony it points at
}

}  // namespace
}  // namespace sb::api
