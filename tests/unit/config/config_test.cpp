#include "config/config.hpp"

#include <map>

#include <gtest/gtest.h>

namespace sb::config {
namespace {

EnvLookup fakeEnv(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

Result<Config> parse(std::string_view toml, std::map<std::string, std::string> env = {}) {
  return parseConfig(toml, "/etc/sb", fakeEnv(std::move(env)));
}

TEST(ConfigTest, ReadsEverySection) {
  auto c = parse(R"(
[server]
demo = true
log_level = "debug"
bind = "::1"
data_dir = "data"
[sip]
port = 5070
[http]
port = 8081
static_dir = "/srv/web"
max_body_bytes = 4096
[rtp]
ports = "30000-30999"
[auth]
token_ttl_seconds = 600
min_password_length = 4
)");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_TRUE(c->demo);
  EXPECT_EQ(c->logLevel, "debug");
  EXPECT_EQ(c->bind, "::1");
  EXPECT_EQ(c->dataDir, "/etc/sb/data");
  EXPECT_EQ(c->sipPort, 5070);
  EXPECT_EQ(c->httpPort, 8081);
  EXPECT_EQ(c->staticDir, "/srv/web");
  EXPECT_EQ(c->httpMaxBodyBytes, 4096U);
  EXPECT_EQ(c->rtpPorts.first, 30000);
  EXPECT_EQ(c->rtpPorts.last, 30999);
  EXPECT_EQ(c->tokenTtl, std::chrono::seconds(600));
  EXPECT_EQ(c->minPasswordLength, 4U);
}

TEST(ConfigTest, AnEmptyFileGivesTheDefaults) {
  auto c = parse("");
  ASSERT_TRUE(c.ok());
  EXPECT_FALSE(c->demo);
  EXPECT_EQ(c->sipPort, 5060);
  EXPECT_EQ(c->httpPort, 8080);
  EXPECT_EQ(c->bind, "127.0.0.1");
  EXPECT_EQ(c->minPasswordLength, 8U);
}

TEST(ConfigTest, EnvironmentOverridesTheFile) {
  auto c =
      parse("[http]\nport = 8080\n[sip]\nport = 5060\n", {{"SWITCHBOARD_HTTP_PORT", "18080"},
                                                          {"SWITCHBOARD_SIP_PORT", "15060"},
                                                          {"SWITCHBOARD_RTP_PORTS", "40000-40099"},
                                                          {"SWITCHBOARD_BIND", "0.0.0.0"},
                                                          {"SWITCHBOARD_DATA_DIR", "/tmp/sb-a"}});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->httpPort, 18080);
  EXPECT_EQ(c->sipPort, 15060);
  EXPECT_EQ(c->rtpPorts.first, 40000);
  EXPECT_EQ(c->rtpPorts.last, 40099);
  EXPECT_EQ(c->bind, "0.0.0.0");
  EXPECT_EQ(c->dataDir, "/tmp/sb-a");
}

TEST(ConfigTest, UnknownKeyIsNamed) {
  auto c = parse("[http]\nprot = 8080\n");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().field, "http.prot");
  EXPECT_NE(c.error().message.find("unknown key http.prot"), std::string::npos);
}

TEST(ConfigTest, UnknownSectionIsNamed) {
  auto c = parse("[htp]\nport = 8080\n");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().field, "htp");
}

TEST(ConfigTest, PortOutOfRangeNamesTheKey) {
  auto c = parse("[http]\nport = 70000\n");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().field, "http.port");
  EXPECT_NE(c.error().message.find("between 0 and 65535"), std::string::npos);
}

TEST(ConfigTest, WrongTypeNamesTheKey) {
  auto c = parse("[http]\nport = \"eighty\"\n");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().field, "http.port");
  EXPECT_NE(c.error().message.find("integer"), std::string::npos);
}

TEST(ConfigTest, BadBindAddressIsRejected) {
  auto c = parse("[server]\nbind = \"localhost:80\"\n");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().field, "server.bind");
}

TEST(ConfigTest, BadLogLevelIsRejected) {
  auto c = parse("[server]\nlog_level = \"loud\"\n");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().field, "server.log_level");
}

TEST(ConfigTest, BadRtpRangeIsRejected) {
  for (auto range : {"30000", "30999-30000", "80-90", "a-b", "30000-70000"}) {
    auto c = parse(std::string("[rtp]\nports = \"") + range + "\"\n");
    ASSERT_FALSE(c.ok()) << range;
    EXPECT_EQ(c.error().field, "rtp.ports");
  }
}

TEST(ConfigTest, SyntaxErrorGivesLineAndColumn) {
  auto c = parse("[http]\nport = = 1\n");
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("line 2"), std::string::npos) << c.error().message;
}

TEST(ConfigTest, BadEnvironmentValueNamesTheVariable) {
  auto c = parse("", {{"SWITCHBOARD_HTTP_PORT", "80a"}});
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().field, "SWITCHBOARD_HTTP_PORT");
  auto r = parse("", {{"SWITCHBOARD_RTP_PORTS", "1-2"}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().field, "SWITCHBOARD_RTP_PORTS");
  auto b = parse("", {{"SWITCHBOARD_BIND", "nowhere"}});
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.error().field, "SWITCHBOARD_BIND");
}

TEST(ConfigTest, MissingFileIsReported) {
  auto c = loadConfig("/nonexistent/switchboard.toml", fakeEnv({}));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("cannot read"), std::string::npos);
}

}  // namespace
}  // namespace sb::config
