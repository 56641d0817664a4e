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

TEST(ConfigTest, SipSettingsAreRead) {
  auto c = parse(R"([sip]
t1_ms = 200
t2_ms = 2000
t4_ms = 2500
trusted_networks = ["10.1.0.0/16", "2001:db8::/32"]
auth_algorithms = ["SHA-256", "MD5"]
max_auth_failures = 5
ban_seconds = 60
)");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->sipT1, std::chrono::milliseconds(200));
  EXPECT_EQ(c->sipT2, std::chrono::milliseconds(2000));
  EXPECT_EQ(c->sipT4, std::chrono::milliseconds(2500));
  EXPECT_EQ(c->sipTrustedNetworks.size(), 2U);
  EXPECT_EQ(c->sipAuthAlgorithms.front(), "SHA-256");
  EXPECT_EQ(c->sipMaxAuthFailures, 5U);
  EXPECT_EQ(c->sipBanTime, std::chrono::seconds(60));
  EXPECT_EQ(parse("[sip]\nt1_ms = 900\nt2_ms = 800\n").error().field, "sip.t2_ms");
  EXPECT_EQ(parse("[sip]\ntrusted_networks = [\"10.0.0.0/33\"]\n").error().field,
            "sip.trusted_networks");
  EXPECT_EQ(parse("[sip]\nauth_algorithms = [\"SHA-1\"]\n").error().field, "sip.auth_algorithms");
}

TEST(ConfigTest, SipListensOnTheBindAddressUnlessGivenAddresses) {
  auto plain = parse("[server]\nbind = \"192.0.2.10\"\n");
  ASSERT_TRUE(plain.ok()) << plain.error().message;
  EXPECT_EQ(plain->sipAddresses, std::vector<std::string>{"192.0.2.10"});
  EXPECT_EQ(plain->sipAdvertisedAddress, "192.0.2.10");

  auto both = parse("[sip]\naddresses = [\"0.0.0.0\", \"::\", \"2001:db8::5\"]\n");
  ASSERT_TRUE(both.ok()) << both.error().message;
  EXPECT_EQ(both->sipAddresses.size(), 3U);
  EXPECT_EQ(both->sipAdvertisedAddress, "2001:db8::5");  // the first that is not a wildcard

  auto wildcard = parse("[sip]\naddresses = [\"0.0.0.0\"]\n");
  EXPECT_EQ(wildcard->sipAdvertisedAddress, "127.0.0.1");
  auto advertised =
      parse("[sip]\naddresses = [\"0.0.0.0\"]\nadvertised_address = \"203.0.113.7\"\n");
  EXPECT_EQ(advertised->sipAdvertisedAddress, "203.0.113.7");

  EXPECT_EQ(parse("[sip]\naddresses = []\n").error().field, "sip.addresses");
  EXPECT_EQ(parse("[sip]\naddresses = [\"example.com\"]\n").error().field, "sip.addresses");
  EXPECT_EQ(parse("[sip]\naddresses = [\"::1\", \"::1\"]\n").error().field, "sip.addresses");
  EXPECT_EQ(parse("[sip]\nadvertised_address = \"pbx\"\n").error().field, "sip.advertised_address");

  auto fromEnv = parse("", {{"SWITCHBOARD_SIP_ADDRESSES", "127.0.0.1,::1"}});
  ASSERT_TRUE(fromEnv.ok()) << fromEnv.error().message;
  EXPECT_EQ(fromEnv->sipAddresses, (std::vector<std::string>{"127.0.0.1", "::1"}));
  EXPECT_EQ(parse("", {{"SWITCHBOARD_SIP_ADDRESSES", "127.0.0.1,,::1"}}).error().field,
            "SWITCHBOARD_SIP_ADDRESSES");
}

TEST(ConfigTest, TrunksAreReadWithTheirInboundAndOutboundSides) {
  auto c = parse(R"(
[[trunks]]
name = "carrier"
inbound_networks = ["203.0.113.0/24"]
dids = ["02150001234", "4000"]
host = "sip.carrier.example"
register = true
username = "02150001234"
password = "s3cret"
register_expires_seconds = 600

[[trunks]]
name = "pbx-2"
host = "192.0.2.9"
port = 5080
transport = "tcp"
)");
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(c->trunks.size(), 2U);
  const auto& carrier = c->trunks[0];
  EXPECT_EQ(carrier.name, "carrier");
  EXPECT_EQ(carrier.inboundNetworks, std::vector<std::string>{"203.0.113.0/24"});
  EXPECT_EQ(carrier.dids.size(), 2U);
  EXPECT_TRUE(carrier.registers);
  EXPECT_EQ(carrier.registerExpires, std::chrono::seconds(600));
  EXPECT_FALSE(carrier.port.has_value());
  EXPECT_EQ(c->trunks[1].port, 5080);
  EXPECT_EQ(c->trunks[1].transport, "tcp");
  EXPECT_FALSE(c->trunks[1].registers);

  auto field = [&](std::string_view text) { return parse(text).error().field; };
  EXPECT_EQ(field("[[trunks]]\nhost = \"a.example\"\n"), "trunks[0].name");
  EXPECT_EQ(field("[[trunks]]\nname = \"x\"\n"), "trunks[0]");
  EXPECT_EQ(field("[[trunks]]\nname = \"x\"\nhost = \"a\"\nregister = true\n"),
            "trunks[0].register");
  EXPECT_EQ(field("[[trunks]]\nname = \"x\"\nhost = \"a\"\ntransport = \"tls\"\n"),
            "trunks[0].transport");
  EXPECT_EQ(field("[[trunks]]\nname = \"x\"\ninbound_networks = [\"10.0.0.0/33\"]\n"),
            "trunks[0].inbound_networks");
  EXPECT_EQ(field("[[trunks]]\nname = \"x\"\nhost = \"a\"\ndids = [\"40 00\"]\n"),
            "trunks[0].dids");
  EXPECT_EQ(field("[[trunks]]\nname = \"x\"\nhost = \"a\"\nfoo = 1\n"), "trunks[0].foo");
  EXPECT_EQ(field("[[trunks]]\nname = \"x\"\nhost = \"a\"\n[[trunks]]\nname = \"x\"\n"
                  "host = \"b\"\n"),
            "trunks[1].name");
  EXPECT_EQ(field("[[trunks]]\nname = \"x\"\nhost = \"a b\"\n"), "trunks[0].host");
}

TEST(NetworkTest, ContainsChecksThePrefix) {
  EXPECT_TRUE(networkContains("127.0.0.0/8", "127.4.5.6"));
  EXPECT_TRUE(networkContains("127.0.0.2/32", "127.0.0.2"));
  EXPECT_FALSE(networkContains("127.0.0.2/32", "127.0.0.3"));
  EXPECT_FALSE(networkContains("127.0.0.0/8", "128.0.0.1"));
  EXPECT_TRUE(networkContains("192.0.2.7", "192.0.2.7"));
  EXPECT_FALSE(networkContains("192.0.2.7", "192.0.2.8"));
  EXPECT_TRUE(networkContains("2001:db8::/32", "2001:db8:1::5"));
  EXPECT_FALSE(networkContains("2001:db8::/32", "127.0.0.1"));
  EXPECT_TRUE(networkContains("0.0.0.0/0", "203.0.113.1"));
  EXPECT_FALSE(isValidNetwork("10.0.0.0/"));
  EXPECT_FALSE(isValidNetwork("nonsense"));
}

TEST(ConfigTest, MissingFileIsReported) {
  auto c = loadConfig("/nonexistent/switchboard.toml", fakeEnv({}));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("cannot read"), std::string::npos);
}

}  // namespace
}  // namespace sb::config
