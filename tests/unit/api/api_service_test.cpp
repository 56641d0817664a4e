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

  Response call(std::string method, std::string path, std::string body = {},
                const std::string& token = {}) {
    Request request;
    request.method = std::move(method);
    request.path = std::move(path);
    request.body = std::move(body);
    if (!token.empty()) request.authorization = "Bearer " + token;
    Response response;
    asio::io_context loop;
    asio::co_spawn(
        loop, [&]() -> asio::awaitable<void> { response = co_await service_->handle(request); },
        [](std::exception_ptr e) {
          if (e) std::rethrow_exception(e);
        });
    loop.run();
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

}  // namespace
}  // namespace sb::api
