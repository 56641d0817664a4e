#include "config/config.hpp"

#include <algorithm>
#include <filesystem>
#include <map>

#include <fmt/format.h>
#include <gtest/gtest.h>

namespace sb::config {
namespace {

namespace fs = std::filesystem;

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
max_failed_signins = 3
max_failed_signins_per_address = 50
signin_lockout_seconds = 900
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
  EXPECT_EQ(c->maxFailedSignIns, 3);
  EXPECT_EQ(c->maxFailedSignInsPerAddress, 50);
  EXPECT_EQ(c->signInLockout, std::chrono::seconds(900));
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

TEST(ConfigTest, SignInThrottlingCannotBeTurnedOff) {
  auto c = parse("[auth]\nmax_failed_signins = 0\n");
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(c.error().field, "auth.max_failed_signins");
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

TEST(ConfigTest, MobilesAreRungThroughTheNamedTrunkOrTheFirstWithAHost) {
  constexpr std::string_view kTrunks = R"(
[[trunks]]
name = "inbound-only"
inbound_networks = ["203.0.113.0/24"]

[[trunks]]
name = "carrier"
host = "sip.carrier.example"

[[trunks]]
name = "backup"
host = "192.0.2.9"
)";
  auto first = parse(kTrunks);
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_NE(config::mobileTrunk(*first), nullptr);
  EXPECT_EQ(config::mobileTrunk(*first)->name, "carrier");

  auto named = parse(std::string(kTrunks) + "[acd]\nmobile_trunk = \"backup\"\n");
  ASSERT_TRUE(named.ok()) << named.error().message;
  EXPECT_EQ(config::mobileTrunk(*named)->name, "backup");

  EXPECT_EQ(config::mobileTrunk(*parse("")), nullptr);
  for (const char* bad : {"nowhere", "inbound-only", ""}) {
    auto c = parse(std::string(kTrunks) + "[acd]\nmobile_trunk = \"" + bad + "\"\n");
    ASSERT_FALSE(c.ok()) << bad;
    EXPECT_EQ(c.error().field, "acd.mobile_trunk") << bad;
  }
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

TEST(NetworkTest, AListMatchesAnAddressInAnyOfItsNetworks) {
  config::NetworkList list({"127.0.0.0/8", "::1", "192.0.2.0/24"});
  EXPECT_TRUE(list.contains("127.9.9.9"));
  EXPECT_TRUE(list.contains("::1"));
  EXPECT_TRUE(list.contains("192.0.2.200"));
  EXPECT_FALSE(list.contains("192.0.3.1"));
  EXPECT_FALSE(list.contains("::2"));
  EXPECT_FALSE(list.contains("not an address"));
  EXPECT_FALSE(config::NetworkList({}).contains("127.0.0.1"));
}

// ---- Inbound routing: [acd], [[queues]], [[schedules]], [[flows]], [[numbers]] ----

// The error's field for `text`, or "(parsed)" when it parses.
std::string errorField(std::string_view text) {
  auto c = parse(text);
  return c.ok() ? "(parsed)" : c.error().field;
}

TEST(RoutingConfigTest, AcdDefaultsWithoutTheSection) {
  auto c = parse("");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->acd.ringTimeout, std::chrono::seconds(30));
  EXPECT_EQ(c->acd.afterCallWork, std::chrono::seconds(15));
  EXPECT_FALSE(c->acd.afterCallWorkUntilAgentEnds);
  EXPECT_EQ(c->acd.serviceLevelTarget, 0.8);
  EXPECT_TRUE(c->acd.promptsDir.empty());
  EXPECT_EQ(c->acd.holdMusic, "hold-music");
  EXPECT_TRUE(c->queues.empty());
  EXPECT_TRUE(c->schedules.empty());
  EXPECT_TRUE(c->flows.empty());
  EXPECT_TRUE(c->numbers.empty());
}

TEST(RoutingConfigTest, AcdSectionIsRead) {
  auto c = parse(R"([acd]
ring_timeout_seconds = 20
after_call_work_seconds = 0
service_level_seconds = 15
service_level_target = 0.9
announce_seconds = 0
record_calls = false
voicemail_max_seconds = 60
prompts_dir = "prompts"
hold_music = "jazz"
)");
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->acd.ringTimeout, std::chrono::seconds(20));
  EXPECT_EQ(c->acd.afterCallWork, std::chrono::seconds(0));
  EXPECT_FALSE(c->acd.afterCallWorkUntilAgentEnds);
  EXPECT_EQ(c->acd.serviceLevelThreshold, std::chrono::seconds(15));
  EXPECT_DOUBLE_EQ(c->acd.serviceLevelTarget, 0.9);
  EXPECT_EQ(c->acd.announceInterval, std::chrono::seconds(0));
  EXPECT_FALSE(c->acd.recordCalls);
  EXPECT_EQ(c->acd.voicemailMaxLength, std::chrono::seconds(60));
  EXPECT_EQ(c->acd.promptsDir, "/etc/sb/prompts");
  EXPECT_EQ(c->acd.holdMusic, "jazz");

  auto untilAgent = parse("[acd]\nafter_call_work_seconds = -1\nservice_level_target = 1\n");
  ASSERT_TRUE(untilAgent.ok()) << untilAgent.error().message;
  EXPECT_TRUE(untilAgent->acd.afterCallWorkUntilAgentEnds);
  EXPECT_EQ(untilAgent->acd.afterCallWork, std::chrono::seconds(0));
  EXPECT_DOUBLE_EQ(untilAgent->acd.serviceLevelTarget, 1.0);
}

TEST(RoutingConfigTest, PromptsDirFromTheEnvironmentWins) {
  auto c = parse("[acd]\nprompts_dir = \"/srv/prompts\"\n",
                 {{"SWITCHBOARD_PROMPTS_DIR", "/opt/prompts"}});
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->acd.promptsDir, "/opt/prompts");
  EXPECT_EQ(parse("", {{"SWITCHBOARD_PROMPTS_DIR", ""}}).error().field, "SWITCHBOARD_PROMPTS_DIR");
}

TEST(RoutingConfigTest, AcdErrorsNameTheKey) {
  EXPECT_EQ(errorField("[acd]\nring_timeout_seconds = 0\n"), "acd.ring_timeout_seconds");
  EXPECT_EQ(errorField("[acd]\nafter_call_work_seconds = -2\n"), "acd.after_call_work_seconds");
  EXPECT_EQ(errorField("[acd]\nservice_level_seconds = 0\n"), "acd.service_level_seconds");
  EXPECT_EQ(errorField("[acd]\nservice_level_target = 0\n"), "acd.service_level_target");
  EXPECT_EQ(errorField("[acd]\nservice_level_target = 1.01\n"), "acd.service_level_target");
  EXPECT_EQ(errorField("[acd]\nservice_level_target = \"80%\"\n"), "acd.service_level_target");
  EXPECT_EQ(errorField("[acd]\nannounce_seconds = -1\n"), "acd.announce_seconds");
  EXPECT_EQ(errorField("[acd]\nrecord_calls = 1\n"), "acd.record_calls");
  EXPECT_EQ(errorField("[acd]\nvoicemail_max_seconds = 0\n"), "acd.voicemail_max_seconds");
  EXPECT_EQ(errorField("[acd]\nvoicemail_max_seconds = 3601\n"), "acd.voicemail_max_seconds");
  EXPECT_EQ(errorField("[acd]\nprompts_dir = \"\"\n"), "acd.prompts_dir");
  EXPECT_EQ(errorField("[acd]\nhold_music = \"../music\"\n"), "acd.hold_music");
  EXPECT_EQ(errorField("[acd]\nhold_music = \"a/b\"\n"), "acd.hold_music");
  EXPECT_EQ(errorField("[acd]\nring_timeout = 30\n"), "acd.ring_timeout");
}

TEST(RoutingConfigTest, QueuesAreRead) {
  auto c = parse(R"(
[[queues]]
group = "售后 After-sales"
strategy = "ring_all"
max_wait_seconds = 300
overflow = "voicemail"
record = false

[[queues]]
group = "售前 Pre-sales"
max_wait_seconds = 60
)");
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(c->queues.size(), 2U);
  const auto& after = c->queues[0];
  EXPECT_EQ(after.group, "售后 After-sales");
  EXPECT_EQ(after.strategy, "ring_all");
  EXPECT_EQ(after.maxWait, std::chrono::seconds(300));
  EXPECT_EQ(after.overflow, "voicemail");
  EXPECT_EQ(after.record, false);
  const auto& pre = c->queues[1];
  EXPECT_EQ(pre.strategy, "longest_idle");
  EXPECT_EQ(pre.maxWait, std::chrono::seconds(60));  // without overflow: fine
  EXPECT_TRUE(pre.overflow.empty());
  EXPECT_FALSE(pre.record.has_value());

  for (auto strategy : {"longest_idle", "round_robin", "ring_all", "highest_skill"}) {
    auto q = parse(fmt::format("[[queues]]\ngroup = \"g\"\nstrategy = \"{}\"\n", strategy));
    ASSERT_TRUE(q.ok()) << strategy;
    EXPECT_EQ(q->queues[0].strategy, strategy);
  }
  auto toGroup = parse("[[queues]]\ngroup = \"a\"\nmax_wait_seconds = 5\noverflow = \"b\"\n");
  ASSERT_TRUE(toGroup.ok()) << toGroup.error().message;
  EXPECT_EQ(toGroup->queues[0].overflow, "b");
}

TEST(RoutingConfigTest, QueueErrorsNameTheKey) {
  EXPECT_EQ(errorField("[[queues]]\nstrategy = \"ring_all\"\n"), "queues[0].group");
  EXPECT_EQ(errorField("[[queues]]\ngroup = \"\"\n"), "queues[0].group");
  EXPECT_EQ(errorField("[[queues]]\ngroup = \"a\"\n[[queues]]\ngroup = \"a\"\n"),
            "queues[1].group");
  EXPECT_EQ(errorField("[[queues]]\ngroup = \"a\"\nstrategy = \"random\"\n"), "queues[0].strategy");
  EXPECT_EQ(errorField("[[queues]]\ngroup = \"a\"\nmax_wait_seconds = 0\n"),
            "queues[0].max_wait_seconds");
  EXPECT_EQ(errorField("[[queues]]\ngroup = \"a\"\noverflow = \"voicemail\"\n"),
            "queues[0].overflow");  // needs max_wait_seconds
  EXPECT_EQ(errorField("[[queues]]\ngroup = \"a\"\nmax_wait_seconds = 5\noverflow = \"a\"\n"),
            "queues[0].overflow");
  EXPECT_EQ(errorField("[[queues]]\ngroup = \"a\"\nmax_wait_seconds = 5\noverflow = \"\"\n"),
            "queues[0].overflow");
  EXPECT_EQ(errorField("[[queues]]\ngroup = \"a\"\nrecord = \"yes\"\n"), "queues[0].record");
  EXPECT_EQ(errorField("[[queues]]\ngroup = \"a\"\nmaxwait = 5\n"), "queues[0].maxwait");
  EXPECT_EQ(errorField("[queues]\ngroup = \"a\"\n"), "queues");
}

TEST(RoutingConfigTest, SchedulesAreRead) {
  auto c = parse(R"(
[[schedules]]
name = "office"
utc_offset = "+08:00"
hours = ["mon-fri 09:00-18:00", "Sat 10:00-12:30", "sun 00:00-24:00", "mon,wed,fri-sun 19:00-20:00"]
holidays = ["2026-10-01", "2026-10-02..2026-10-04", "2026-10-03", "2026-02-28..2026-03-01"]

[[schedules]]
name = "local"
utc_offset = "-05:30"
)");
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(c->schedules.size(), 2U);
  const auto& office = c->schedules[0];
  EXPECT_EQ(office.name, "office");
  EXPECT_EQ(office.utcOffsetMinutes, 8 * 60);
  std::vector<WeeklyHours> expected;
  for (int d = 0; d < 5; ++d)
    expected.push_back({d, 9 * 60, 18 * 60});
  expected.push_back({5, 10 * 60, 12 * 60 + 30});
  expected.push_back({6, 0, 24 * 60});
  for (int d : {0, 2, 4, 5, 6})
    expected.push_back({d, 19 * 60, 20 * 60});
  EXPECT_EQ(office.hours, expected);
  // Ranges expanded (across a month end too), sorted, each day once.
  EXPECT_EQ(office.holidays, (std::vector<std::string>{"2026-02-28", "2026-03-01", "2026-10-01",
                                                       "2026-10-02", "2026-10-03", "2026-10-04"}));
  EXPECT_EQ(c->schedules[1].utcOffsetMinutes, -(5 * 60 + 30));
  EXPECT_TRUE(c->schedules[1].hours.empty());

  auto noOffset = parse("[[schedules]]\nname = \"s\"\nhours = [\"mon 09:00-10:00\"]\n");
  ASSERT_TRUE(noOffset.ok());
  EXPECT_FALSE(noOffset->schedules[0].utcOffsetMinutes.has_value());

  auto year = parse("[[schedules]]\nname = \"s\"\nholidays = [\"2028-01-01..2028-12-31\"]\n");
  ASSERT_TRUE(year.ok()) << year.error().message;  // 366 days in a leap year: the most
  EXPECT_EQ(year->schedules[0].holidays.size(), 366U);
}

TEST(RoutingConfigTest, ScheduleErrorsNameTheKey) {
  auto schedule = [](std::string_view body) {
    return errorField(fmt::format("[[schedules]]\nname = \"s\"\n{}\n", body));
  };
  EXPECT_EQ(errorField("[[schedules]]\nhours = []\n"), "schedules[0].name");
  EXPECT_EQ(errorField("[[schedules]]\nname = \"\"\n"), "schedules[0].name");
  EXPECT_EQ(errorField("[[schedules]]\nname = \"s\"\n[[schedules]]\nname = \"s\"\n"),
            "schedules[1].name");
  for (auto offset : {"08:00", "+8:00", "+08:60", "+15:00", "+08", "UTC+8", "+24:00"}) {
    EXPECT_EQ(schedule(fmt::format("utc_offset = \"{}\"", offset)), "schedules[0].utc_offset")
        << offset;
  }
  EXPECT_EQ(schedule("utc_offset = \"+14:00\""), "(parsed)");
  EXPECT_EQ(schedule("utc_offset = \"-00:30\""), "(parsed)");
  for (auto hours : {"mon 09:00", "09:00-18:00", "monday 09:00-18:00", "mon 18:00-09:00",
                     "mon 09:00-09:00", "mon 24:00-24:00", "mon 09:00-24:01", "mon 9:00-18:00",
                     "fri-mon 09:00-18:00", "mon, 09:00-18:00", "mon,,tue 09:00-18:00",
                     "mon 09:00-18:00 extra", "mon 25:00-26:00", ""}) {
    EXPECT_EQ(schedule(fmt::format("hours = [\"{}\"]", hours)), "schedules[0].hours") << hours;
  }
  EXPECT_EQ(schedule("hours = \"mon-fri 09:00-18:00\""), "schedules[0].hours");
  EXPECT_EQ(schedule("hours = [1]"), "schedules[0].hours");
  for (auto holiday : {"2026-02-30", "2026-13-01", "2026-1-05", "20261005", "2026-10-05..",
                       "2026-10-07..2026-10-01", "2026-01-01..2027-01-02", "tomorrow"}) {
    EXPECT_EQ(schedule(fmt::format("holidays = [\"{}\"]", holiday)), "schedules[0].holidays")
        << holiday;
  }
  EXPECT_EQ(schedule("open = true"), "schedules[0].open");
}

// The flow of the task's example, with every node type.
constexpr std::string_view kHotline = R"(
[[schedules]]
name = "office"
hours = ["mon-fri 09:00-18:00"]

[[flows]]
name = "hotline"
start = "hours"
  [[flows.nodes]]
  id = "hours"
  type = "hours"
  schedule = "office"
  open = "welcome"
  closed = "closed-vm"
  [[flows.nodes]]
  id = "welcome"
  type = "play"
  prompt = "welcome"
  next = "menu"
  [[flows.nodes]]
  id = "menu"
  type = "menu"
  prompt = "menu"
  choices = { "1" = "pre-sales", "2" = "after-sales", "#" = "bye", "0" = "menu" }
  timeout_seconds = 7
  attempts = 2
  invalid_prompt = "try-again"
  on_failure = "after-sales"
  [[flows.nodes]]
  id = "pre-sales"
  type = "queue"
  group = "售前 Pre-sales"
  [[flows.nodes]]
  id = "after-sales"
  type = "queue"
  group = "售后 After-sales"
  priority = 5
  [[flows.nodes]]
  id = "closed-vm"
  type = "voicemail"
  [[flows.nodes]]
  id = "bye"
  type = "hangup"
)";

TEST(RoutingConfigTest, FlowsAreRead) {
  auto c = parse(kHotline);
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(c->flows.size(), 1U);
  const auto& flow = c->flows[0];
  EXPECT_EQ(flow.name, "hotline");
  EXPECT_EQ(flow.start, "hours");
  ASSERT_EQ(flow.nodes.size(), 7U);
  EXPECT_EQ(flow.node("nowhere"), nullptr);

  const auto* hours = flow.node("hours");
  ASSERT_NE(hours, nullptr);
  EXPECT_EQ(hours, &flow.nodes[0]);
  EXPECT_EQ(hours->kind, FlowNode::Kind::kHours);
  EXPECT_EQ(hours->schedule, "office");
  EXPECT_EQ(hours->open, "welcome");
  EXPECT_EQ(hours->closed, "closed-vm");

  const auto* welcome = flow.node("welcome");
  ASSERT_NE(welcome, nullptr);
  EXPECT_EQ(welcome->kind, FlowNode::Kind::kPlay);
  EXPECT_EQ(welcome->prompt, "welcome");
  EXPECT_EQ(welcome->next, "menu");

  const auto* menu = flow.node("menu");
  ASSERT_NE(menu, nullptr);
  EXPECT_EQ(menu->kind, FlowNode::Kind::kMenu);
  EXPECT_EQ(menu->prompt, "menu");
  using Choices = std::vector<std::pair<std::string, std::string>>;
  auto choices = menu->choices;
  std::sort(choices.begin(), choices.end());
  EXPECT_EQ(choices,
            (Choices{{"#", "bye"}, {"0", "menu"}, {"1", "pre-sales"}, {"2", "after-sales"}}));
  EXPECT_EQ(menu->timeout, std::chrono::seconds(7));
  EXPECT_EQ(menu->attempts, 2);
  EXPECT_EQ(menu->invalidPrompt, "try-again");
  EXPECT_EQ(menu->onFailure, "after-sales");

  const auto* pre = flow.node("pre-sales");
  ASSERT_NE(pre, nullptr);
  EXPECT_EQ(pre->kind, FlowNode::Kind::kQueue);
  EXPECT_EQ(pre->group, "售前 Pre-sales");
  EXPECT_EQ(pre->priority, 0);
  EXPECT_EQ(flow.node("after-sales")->priority, 5);

  const auto* vm = flow.node("closed-vm");
  ASSERT_NE(vm, nullptr);
  EXPECT_EQ(vm->kind, FlowNode::Kind::kVoicemail);
  EXPECT_EQ(vm->prompt, "after-hours");  // the default
  EXPECT_EQ(flow.node("bye")->kind, FlowNode::Kind::kHangUp);
}

TEST(RoutingConfigTest, MenuDefaults) {
  auto c = parse(R"([[flows]]
name = "f"
start = "m"
  [[flows.nodes]]
  id = "m"
  type = "menu"
  prompt = "menu"
  choices = { "*" = "m" }
)");
  ASSERT_TRUE(c.ok()) << c.error().message;  // a menu may lead back to itself
  const auto& menu = c->flows[0].nodes[0];
  EXPECT_EQ(menu.timeout, std::chrono::seconds(5));
  EXPECT_EQ(menu.attempts, 3);
  EXPECT_EQ(menu.invalidPrompt, "invalid");
  EXPECT_TRUE(menu.onFailure.empty());
}

// kHotline with `from` replaced by `to` (once); fails the test when `from` is not there.
std::string hotlineWith(std::string_view from, std::string_view to) {
  std::string text(kHotline);
  auto at = text.find(from);
  EXPECT_NE(at, std::string::npos) << from;
  if (at != std::string::npos) text.replace(at, from.size(), to);
  return text;
}

TEST(RoutingConfigTest, FlowErrorsNameTheKey) {
  auto field = [](std::string_view from, std::string_view to) {
    return errorField(hotlineWith(from, to));
  };
  // The flow itself.
  EXPECT_EQ(field("name = \"hotline\"\n", ""), "flows[0].name");
  EXPECT_EQ(field("start = \"hours\"\n", ""), "flows[0].start");
  EXPECT_EQ(field("start = \"hours\"", "start = \"nowhere\""), "flows[0].start");
  EXPECT_EQ(field("start = \"hours\"", "start = \"hours\"\ngreeting = \"x\""), "flows[0].greeting");
  EXPECT_EQ(errorField("[[flows]]\nname = \"f\"\nstart = \"a\"\n"), "flows[0].nodes");
  EXPECT_EQ(errorField(std::string(kHotline) + "[[flows]]\nname = \"hotline\"\nstart = \"a\"\n"
                                               "  [[flows.nodes]]\n  id = \"a\"\n"
                                               "  type = \"hangup\"\n"),
            "flows[1].name");
  // Node ids and types.
  EXPECT_EQ(field("id = \"welcome\"", "id = \"hours\""), "flows[0].nodes[1].id");
  EXPECT_EQ(field("id = \"welcome\"\n", ""), "flows[0].nodes[1].id");
  EXPECT_EQ(field("type = \"play\"\n", ""), "flows[0].nodes[1].type");
  EXPECT_EQ(field("type = \"play\"", "type = \"say\""), "flows[0].nodes[1].type");
  EXPECT_EQ(field("type = \"play\"", "type = 1"), "flows[0].nodes[1].type");
  // References to nodes.
  EXPECT_EQ(field("open = \"welcome\"", "open = \"wellcome\""), "flows[0].nodes[0].open");
  EXPECT_EQ(field("closed = \"closed-vm\"", "closed = \"vm\""), "flows[0].nodes[0].closed");
  EXPECT_EQ(field("next = \"menu\"", "next = \"menus\""), "flows[0].nodes[1].next");
  EXPECT_EQ(field("\"2\" = \"after-sales\"", "\"2\" = \"after\""), "flows[0].nodes[2].choices");
  EXPECT_EQ(field("on_failure = \"after-sales\"", "on_failure = \"x\""),
            "flows[0].nodes[2].on_failure");
  EXPECT_EQ(field("on_failure = \"after-sales\"", "on_failure = \"\""), "(parsed)");  // hang up
  // Schedules.
  EXPECT_EQ(field("schedule = \"office\"", "schedule = \"shop\""), "flows[0].nodes[0].schedule");
  // Required per type.
  EXPECT_EQ(field("prompt = \"welcome\"\n", ""), "flows[0].nodes[1].prompt");
  EXPECT_EQ(field("next = \"menu\"\n", ""), "flows[0].nodes[1].next");
  EXPECT_EQ(field("schedule = \"office\"\n", ""), "flows[0].nodes[0].schedule");
  EXPECT_EQ(field("open = \"welcome\"\n", ""), "flows[0].nodes[0].open");
  EXPECT_EQ(field("closed = \"closed-vm\"\n", ""), "flows[0].nodes[0].closed");
  EXPECT_EQ(field("prompt = \"menu\"\n", ""), "flows[0].nodes[2].prompt");
  EXPECT_EQ(field("choices = { \"1\" = \"pre-sales\", \"2\" = \"after-sales\", \"#\" = \"bye\", "
                  "\"0\" = \"menu\" }",
                  "choices = {}"),
            "flows[0].nodes[2].choices");
  EXPECT_EQ(field("group = \"售前 Pre-sales\"\n", ""), "flows[0].nodes[3].group");
  EXPECT_EQ(field("group = \"售前 Pre-sales\"", "group = \"\""), "flows[0].nodes[3].group");
  // Values.
  EXPECT_EQ(field("\"1\" = \"pre-sales\"", "\"10\" = \"pre-sales\""), "flows[0].nodes[2].choices");
  EXPECT_EQ(field("\"1\" = \"pre-sales\"", "\"a\" = \"pre-sales\""), "flows[0].nodes[2].choices");
  EXPECT_EQ(field("\"1\" = \"pre-sales\"", "\"1\" = 3"), "flows[0].nodes[2].choices");
  EXPECT_EQ(field("choices = {", "choices = [] #"), "flows[0].nodes[2].choices");
  EXPECT_EQ(field("timeout_seconds = 7", "timeout_seconds = 0"),
            "flows[0].nodes[2].timeout_seconds");
  EXPECT_EQ(field("attempts = 2", "attempts = 0"), "flows[0].nodes[2].attempts");
  EXPECT_EQ(field("priority = 5", "priority = \"high\""), "flows[0].nodes[4].priority");
  EXPECT_EQ(field("prompt = \"welcome\"", "prompt = \"../etc/passwd\""),
            "flows[0].nodes[1].prompt");
  EXPECT_EQ(field("prompt = \"welcome\"", "prompt = \"a/b\""), "flows[0].nodes[1].prompt");
  EXPECT_EQ(field("prompt = \"welcome\"", "prompt = \"wel..come\""), "flows[0].nodes[1].prompt");
  EXPECT_EQ(field("prompt = \"welcome\"", "prompt = \"\""), "flows[0].nodes[1].prompt");
  EXPECT_EQ(field("prompt = \"welcome\"", "prompt = \"welcome-2.v1_zh\""), "(parsed)");
  EXPECT_EQ(field("invalid_prompt = \"try-again\"", "invalid_prompt = \"/tmp/x\""),
            "flows[0].nodes[2].invalid_prompt");
  EXPECT_EQ(field("  type = \"voicemail\"\n", "  type = \"voicemail\"\n  prompt = \"a b\"\n"),
            "flows[0].nodes[5].prompt");
  // Keys of other node types, and unknown keys.
  EXPECT_EQ(field("next = \"menu\"", "next = \"menu\"\n  group = \"x\""),
            "flows[0].nodes[1].group");
  EXPECT_EQ(field("  type = \"hangup\"\n", "  type = \"hangup\"\n  prompt = \"bye\"\n"),
            "flows[0].nodes[6].prompt");
  EXPECT_EQ(field("next = \"menu\"", "next = \"menu\"\n  colour = \"red\""),
            "flows[0].nodes[1].colour");
  EXPECT_EQ(errorField("[[flows]]\nname = \"f\"\nstart = \"a\"\nnodes = [1]\n"),
            "flows[0].nodes[0]");
  EXPECT_EQ(errorField("[[flows]]\nname = \"f\"\nstart = \"a\"\nnodes = 1\n"), "flows[0].nodes");
}

TEST(RoutingConfigTest, ALoopWithoutAWaitingNodeIsAnError) {
  // welcome -> menu -> welcome would wait at the menu; welcome -> again -> welcome never does.
  auto plays = parse(hotlineWith("next = \"menu\"", R"(next = "again"
  [[flows.nodes]]
  id = "again"
  type = "play"
  prompt = "welcome"
  next = "welcome")"));
  ASSERT_FALSE(plays.ok());
  EXPECT_EQ(plays.error().field, "flows[0].nodes[2].next");  // "again", after "welcome"
  EXPECT_NE(plays.error().message.find("welcome -> again -> welcome"), std::string::npos)
      << plays.error().message;

  auto self = parse(hotlineWith("next = \"menu\"", "next = \"welcome\""));
  ASSERT_FALSE(self.ok());
  EXPECT_EQ(self.error().field, "flows[0].nodes[1].next");

  // hours -> welcome -> hours goes round as long as the schedule is open.
  auto throughHours = parse(hotlineWith("next = \"menu\"", "next = \"hours\""));
  ASSERT_FALSE(throughHours.ok());
  EXPECT_EQ(throughHours.error().field, "flows[0].nodes[1].next");

  // Back to the start through the menu: fine.
  auto viaMenu = parse(hotlineWith("\"0\" = \"menu\"", "\"0\" = \"hours\""));
  EXPECT_TRUE(viaMenu.ok()) << viaMenu.error().message;
}

TEST(RoutingConfigTest, NumbersAreRead) {
  auto c = parse(std::string(kHotline) + R"(
[[numbers]]
number = "4000"
group = "售后 After-sales"
priority = 3
[[numbers]]
number = "+862150001234"
flow = "hotline"
[[numbers]]
number = "*99#"
group = "g"
)");
  ASSERT_TRUE(c.ok()) << c.error().message;
  ASSERT_EQ(c->numbers.size(), 3U);
  EXPECT_EQ(c->numbers[0].number, "4000");
  EXPECT_EQ(c->numbers[0].group, "售后 After-sales");
  EXPECT_TRUE(c->numbers[0].flow.empty());
  EXPECT_EQ(c->numbers[0].priority, 3);
  EXPECT_EQ(c->numbers[1].flow, "hotline");
  EXPECT_TRUE(c->numbers[1].group.empty());
  EXPECT_EQ(c->numbers[1].priority, 0);
  EXPECT_EQ(c->numbers[2].number, "*99#");
}

TEST(RoutingConfigTest, NumberErrorsNameTheKey) {
  auto numbers = [](std::string_view body) {
    return errorField(std::string(kHotline) + std::string(body));
  };
  EXPECT_EQ(numbers("[[numbers]]\ngroup = \"g\"\n"), "numbers[0].number");
  EXPECT_EQ(numbers("[[numbers]]\nnumber = \"\"\ngroup = \"g\"\n"), "numbers[0].number");
  EXPECT_EQ(numbers("[[numbers]]\nnumber = \"40 00\"\ngroup = \"g\"\n"), "numbers[0].number");
  EXPECT_EQ(numbers("[[numbers]]\nnumber = \"sales\"\ngroup = \"g\"\n"), "numbers[0].number");
  EXPECT_EQ(numbers("[[numbers]]\nnumber = 4000\ngroup = \"g\"\n"), "numbers[0].number");
  EXPECT_EQ(numbers("[[numbers]]\nnumber = \"4000\"\n"), "numbers[0]");
  EXPECT_EQ(numbers("[[numbers]]\nnumber = \"4000\"\ngroup = \"g\"\nflow = \"hotline\"\n"),
            "numbers[0].flow");
  EXPECT_EQ(numbers("[[numbers]]\nnumber = \"4000\"\nflow = \"hotlne\"\n"), "numbers[0].flow");
  EXPECT_EQ(numbers("[[numbers]]\nnumber = \"4000\"\nflow = \"hotline\"\npriority = 1\n"),
            "numbers[0].priority");
  EXPECT_EQ(numbers("[[numbers]]\nnumber = \"4000\"\ngroup = \"g\"\npriority = 1.5\n"),
            "numbers[0].priority");
  EXPECT_EQ(numbers("[[numbers]]\nnumber = \"4000\"\ngroup = \"\"\n"), "numbers[0].group");
  EXPECT_EQ(numbers("[[numbers]]\nnumber = \"4000\"\ngroup = \"g\"\n"
                    "[[numbers]]\nnumber = \"4000\"\nflow = \"hotline\"\n"),
            "numbers[1].number");
  EXPECT_EQ(numbers("[[numbers]]\nnumber = \"4000\"\ngroup = \"g\"\nqueue = \"g\"\n"),
            "numbers[0].queue");
}

// The files in config/ must keep parsing: the demo starts from one, administrators from the other.
TEST(RoutingConfigTest, TheDemoConfigurationParses) {
  auto c = loadConfig(fs::path(SB_SOURCE_DIR) / "config/demo.toml", fakeEnv({}));
  ASSERT_TRUE(c.ok()) << c.error().field << ": " << c.error().message;
  EXPECT_TRUE(c->demo);
  ASSERT_EQ(c->queues.size(), 2U);
  const QueueConfig* after = nullptr;
  for (const auto& q : c->queues) {
    if (q.group == "售后 After-sales") after = &q;
  }
  ASSERT_NE(after, nullptr);
  EXPECT_EQ(after->maxWait, std::chrono::seconds(300));
  EXPECT_EQ(after->overflow, "voicemail");

  ASSERT_EQ(c->schedules.size(), 1U);
  EXPECT_EQ(c->schedules[0].name, "demo-hours");
  for (UnixSeconds t = 1767225600; t < 1767225600 + 8 * 86400; t += 1800) {  // 2026-01-01 on
    EXPECT_TRUE(isOpen(c->schedules[0], t)) << t;
  }

  auto number = [&](std::string_view n) -> const NumberConfig* {
    for (const auto& x : c->numbers) {
      if (x.number == n) return &x;
    }
    return nullptr;
  };
  auto flow = [&](std::string_view name) -> const FlowConfig* {
    for (const auto& f : c->flows) {
      if (f.name == name) return &f;
    }
    return nullptr;
  };
  ASSERT_NE(number("4000"), nullptr);
  EXPECT_EQ(number("4000")->group, "售后 After-sales");
  ASSERT_NE(number("4001"), nullptr);
  ASSERT_NE(number("4009"), nullptr);

  const FlowConfig* hotline = flow(number("4001")->flow);
  ASSERT_NE(hotline, nullptr);
  const FlowNode* hours = hotline->node(hotline->start);
  ASSERT_NE(hours, nullptr);
  EXPECT_EQ(hours->kind, FlowNode::Kind::kHours);
  EXPECT_EQ(hours->schedule, "demo-hours");
  EXPECT_EQ(hotline->node(hours->closed)->kind, FlowNode::Kind::kVoicemail);
  const FlowNode* welcome = hotline->node(hours->open);
  EXPECT_EQ(welcome->prompt, "welcome");
  const FlowNode* menu = hotline->node(welcome->next);
  ASSERT_EQ(menu->kind, FlowNode::Kind::kMenu);
  std::map<std::string, std::string> groups;
  for (const auto& [digit, id] : menu->choices)
    groups[digit] = hotline->node(id)->group;
  EXPECT_EQ(groups, (std::map<std::string, std::string>{{"1", "售前 Pre-sales"},
                                                        {"2", "售后 After-sales"}}));
  EXPECT_EQ(hotline->node(menu->onFailure)->group, "售后 After-sales");

  const FlowConfig* voicemail = flow(number("4009")->flow);
  ASSERT_NE(voicemail, nullptr);
  EXPECT_EQ(voicemail->node(voicemail->start)->kind, FlowNode::Kind::kVoicemail);
}

TEST(RoutingConfigTest, TheExampleConfigurationParses) {
  auto c = loadConfig(fs::path(SB_SOURCE_DIR) / "config/switchboard.example.toml", fakeEnv({}));
  ASSERT_TRUE(c.ok()) << c.error().field << ": " << c.error().message;
}

TEST(ConfigTest, MissingFileIsReported) {
  auto c = loadConfig("/nonexistent/switchboard.toml", fakeEnv({}));
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("cannot read"), std::string::npos);
}

}  // namespace
}  // namespace sb::config
