#include "config/config.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include <arpa/inet.h>
#include <fmt/format.h>
#include <toml++/toml.h>

#include "config/routing_parser.hpp"
#include "config/toml_values.hpp"
#include "core/logging.hpp"

namespace sb::config {

namespace fs = std::filesystem;

namespace {

using Apply = Result<void> (*)(Config&, const toml::node&, const fs::path& baseDir,
                               const std::string& key);

using detail::badType;
using detail::readBool;
using detail::readInt;
using detail::readString;

bool isIpAddress(const std::string& text) {
  std::array<unsigned char, 16> buf{};
  return inet_pton(AF_INET, text.c_str(), buf.data()) == 1 ||
         inet_pton(AF_INET6, text.c_str(), buf.data()) == 1;
}

Result<void> validateBind(const std::string& key, const std::string& value) {
  if (!isIpAddress(value)) {
    return Error::invalid(
        key, fmt::format("{} must be an IPv4 or IPv6 address, not \"{}\"", key, value));
  }
  return Ok{};
}

Result<void> validateLogLevel(const std::string& key, const std::string& value) {
  if (!parseLogLevel(value)) {
    return Error::invalid(
        key, fmt::format("{} must be one of trace, debug, info, warn, error, off; not \"{}\"", key,
                         value));
  }
  return Ok{};
}

template <auto Member>
Result<void> setPort(Config& c, const toml::node& n, const fs::path&, const std::string& key) {
  auto v = readInt(n, key, 0, 65535);
  if (!v) return v.error();
  c.*Member = static_cast<std::uint16_t>(*v);
  return Ok{};
}

template <auto Member>
Result<void> setPath(Config& c, const toml::node& n, const fs::path& base, const std::string& key) {
  auto v = readString(n, key);
  if (!v) return v.error();
  if (v->empty()) return Error::invalid(key, fmt::format("{} must not be empty", key));
  c.*Member = fs::path(*v).is_absolute() ? fs::path(*v) : (base / *v).lexically_normal();
  return Ok{};
}

template <auto Member>
Result<void> setMilliseconds(Config& c, const toml::node& n, const fs::path&,
                             const std::string& key) {
  auto v = readInt(n, key, 10, 600000);
  if (!v) return v.error();
  c.*Member = std::chrono::milliseconds(*v);
  return Ok{};
}

template <auto Member>
Result<void> setSeconds(Config& c, const toml::node& n, const fs::path&, const std::string& key) {
  auto v = readInt(n, key, 1, 365LL * 24 * 3600);
  if (!v) return v.error();
  c.*Member = std::chrono::seconds(*v);
  return Ok{};
}

template <auto Member, std::int64_t Min, std::int64_t Max>
Result<void> setInt(Config& c, const toml::node& n, const fs::path&, const std::string& key) {
  auto v = readInt(n, key, Min, Max);
  if (!v) return v.error();
  c.*Member = static_cast<std::remove_reference_t<decltype(c.*Member)>>(*v);
  return Ok{};
}

struct Entry {
  std::string_view key;
  Apply apply;
};

const Entry kEntries[] = {
    {"server.demo",
     [](Config& c, const toml::node& n, const fs::path&, const std::string& key) -> Result<void> {
       if (!n.is_boolean()) return badType(key, "true or false");
       c.demo = *n.value<bool>();
       return Ok{};
     }},
    {"server.log_level",
     [](Config& c, const toml::node& n, const fs::path&, const std::string& key) -> Result<void> {
       auto v = readString(n, key);
       if (!v) return v.error();
       if (auto ok = validateLogLevel(key, *v); !ok) return ok;
       c.logLevel = *v;
       return Ok{};
     }},
    {"server.bind",
     [](Config& c, const toml::node& n, const fs::path&, const std::string& key) -> Result<void> {
       auto v = readString(n, key);
       if (!v) return v.error();
       if (auto ok = validateBind(key, *v); !ok) return ok;
       c.bind = *v;
       return Ok{};
     }},
    {"server.data_dir", setPath<&Config::dataDir>},
    {"server.shutdown_grace_seconds", setSeconds<&Config::shutdownGrace>},
    {"server.call_records_commit_ms", setMilliseconds<&Config::callRecordsCommit>},
    {"sip.port", setPort<&Config::sipPort>},
    {"sip.realm",
     [](Config& c, const toml::node& n, const fs::path&, const std::string& key) -> Result<void> {
       auto v = readString(n, key);
       if (!v) return v.error();
       if (v->empty() || v->find('"') != std::string::npos) {
         return Error::invalid(key,
                               fmt::format("{} must be a non-empty string without quotes", key));
       }
       c.sipRealm = *v;
       return Ok{};
     }},
    {"sip.addresses",
     [](Config& c, const toml::node& n, const fs::path&, const std::string& key) -> Result<void> {
       const auto* list = n.as_array();
       if (list == nullptr || list->empty()) {
         return badType(key, "a non-empty list of addresses like [\"0.0.0.0\", \"::\"]");
       }
       c.sipAddresses.clear();
       for (const auto& item : *list) {
         auto text = item.value<std::string>();
         if (!text || !isIpAddress(*text)) {
           return Error::invalid(
               key, fmt::format("{} must list IPv4 or IPv6 addresses like \"192.0.2.10\"", key));
         }
         if (std::find(c.sipAddresses.begin(), c.sipAddresses.end(), *text) !=
             c.sipAddresses.end()) {
           return Error::invalid(key, fmt::format("{} lists {} twice", key, *text));
         }
         c.sipAddresses.push_back(*text);
       }
       return Ok{};
     }},
    {"sip.advertised_address",
     [](Config& c, const toml::node& n, const fs::path&, const std::string& key) -> Result<void> {
       auto v = readString(n, key);
       if (!v) return v.error();
       if (auto ok = validateBind(key, *v); !ok) return ok;
       c.sipAdvertisedAddress = *v;
       return Ok{};
     }},
    {"sip.trusted_networks",
     [](Config& c, const toml::node& n, const fs::path&, const std::string& key) -> Result<void> {
       const auto* list = n.as_array();
       if (list == nullptr) return badType(key, "a list of networks like \"127.0.0.0/8\"");
       c.sipTrustedNetworks.clear();
       for (const auto& item : *list) {
         auto text = item.value<std::string>();
         if (!text || !isValidNetwork(*text)) {
           return Error::invalid(key,
                                 fmt::format("{} must list networks like \"192.0.2.0/24\"", key));
         }
         c.sipTrustedNetworks.push_back(*text);
       }
       return Ok{};
     }},
    {"sip.max_auth_failures",
     [](Config& c, const toml::node& n, const fs::path&, const std::string& key) -> Result<void> {
       auto v = readInt(n, key, 1, 1000000);
       if (!v) return v.error();
       c.sipMaxAuthFailures = static_cast<std::uint32_t>(*v);
       return Ok{};
     }},
    {"sip.ban_seconds", setSeconds<&Config::sipBanTime>},
    {"sip.t1_ms", setMilliseconds<&Config::sipT1>},
    {"sip.t2_ms", setMilliseconds<&Config::sipT2>},
    {"sip.t4_ms", setMilliseconds<&Config::sipT4>},
    {"sip.auth_algorithms",
     [](Config& c, const toml::node& n, const fs::path&, const std::string& key) -> Result<void> {
       const auto* list = n.as_array();
       if (list == nullptr || list->empty()) {
         return badType(key, "a non-empty list of \"MD5\", \"SHA-256\"");
       }
       c.sipAuthAlgorithms.clear();
       for (const auto& item : *list) {
         auto text = item.value<std::string>();
         if (!text || (*text != "MD5" && *text != "SHA-256")) {
           return Error::invalid(key, fmt::format("{} may list \"MD5\" and \"SHA-256\" only", key));
         }
         c.sipAuthAlgorithms.push_back(*text);
       }
       return Ok{};
     }},
    {"sip.packets_per_second",
     [](Config& c, const toml::node& n, const fs::path&, const std::string& key) -> Result<void> {
       auto v = readInt(n, key, 1, 10000000);
       if (!v) return v.error();
       c.sipPacketsPerSecond = static_cast<std::uint32_t>(*v);
       return Ok{};
     }},
    {"http.port", setPort<&Config::httpPort>},
    {"http.static_dir", setPath<&Config::staticDir>},
    {"http.max_body_bytes",
     [](Config& c, const toml::node& n, const fs::path&, const std::string& key) -> Result<void> {
       auto v = readInt(n, key, 1024, 256LL * 1024 * 1024);
       if (!v) return v.error();
       c.httpMaxBodyBytes = static_cast<std::size_t>(*v);
       return Ok{};
     }},
    {"http.idle_timeout_seconds", setSeconds<&Config::httpIdleTimeout>},
    {"rtp.timeout_seconds",
     [](Config& c, const toml::node& n, const fs::path&, const std::string& key) -> Result<void> {
       auto v = readInt(n, key, 0, 3600);
       if (!v) return v.error();
       c.rtpTimeout = std::chrono::seconds(*v);
       return Ok{};
     }},
    {"rtp.ports",
     [](Config& c, const toml::node& n, const fs::path&, const std::string& key) -> Result<void> {
       auto v = readString(n, key);
       if (!v) return v.error();
       auto range = parsePortRange(*v);
       if (!range) {
         return Error::invalid(
             key, fmt::format("{} must be \"FIRST-LAST\" with 1024 <= FIRST <= LAST <= 65535, not "
                              "\"{}\"",
                              key, *v));
       }
       c.rtpPorts = *range;
       return Ok{};
     }},
    {"acd.ring_timeout_seconds",
     [](Config& c, const toml::node& n, const fs::path&, const std::string& key) -> Result<void> {
       auto v = readInt(n, key, 1, 600);
       if (!v) return v.error();
       c.acd.ringTimeout = std::chrono::seconds(*v);
       return Ok{};
     }},
    {"acd.after_call_work_seconds",
     [](Config& c, const toml::node& n, const fs::path&, const std::string& key) -> Result<void> {
       auto v = readInt(n, key, -1, 3600);  // -1: until the agent ends it
       if (!v) return v.error();
       c.acd.afterCallWorkUntilAgentEnds = *v < 0;
       c.acd.afterCallWork = std::chrono::seconds(std::max<std::int64_t>(*v, 0));
       return Ok{};
     }},
    {"acd.service_level_seconds",
     [](Config& c, const toml::node& n, const fs::path&, const std::string& key) -> Result<void> {
       auto v = readInt(n, key, 1, 3600);
       if (!v) return v.error();
       c.acd.serviceLevelThreshold = std::chrono::seconds(*v);
       return Ok{};
     }},
    {"acd.service_level_target",
     [](Config& c, const toml::node& n, const fs::path&, const std::string& key) -> Result<void> {
       auto v = n.value<double>();
       if (!n.is_number() || !v) return badType(key, "a number");
       if (!(*v > 0.0 && *v <= 1.0)) {
         return Error::invalid(key, fmt::format("{} must be above 0 and at most 1 (0.8 is 80 %), "
                                                "not {}",
                                                key, *v));
       }
       c.acd.serviceLevelTarget = *v;
       return Ok{};
     }},
    {"acd.announce_seconds",
     [](Config& c, const toml::node& n, const fs::path&, const std::string& key) -> Result<void> {
       auto v = readInt(n, key, 0, 3600);
       if (!v) return v.error();
       c.acd.announceInterval = std::chrono::seconds(*v);
       return Ok{};
     }},
    {"acd.record_calls",
     [](Config& c, const toml::node& n, const fs::path&, const std::string& key) -> Result<void> {
       auto v = readBool(n, key);
       if (!v) return v.error();
       c.acd.recordCalls = *v;
       return Ok{};
     }},
    {"acd.voicemail_max_seconds",
     [](Config& c, const toml::node& n, const fs::path&, const std::string& key) -> Result<void> {
       auto v = readInt(n, key, 1, 3600);
       if (!v) return v.error();
       c.acd.voicemailMaxLength = std::chrono::seconds(*v);
       return Ok{};
     }},
    {"acd.prompts_dir",
     [](Config& c, const toml::node& n, const fs::path& base,
        const std::string& key) -> Result<void> {
       auto v = readString(n, key);
       if (!v) return v.error();
       if (v->empty()) return Error::invalid(key, fmt::format("{} must not be empty", key));
       c.acd.promptsDir =
           fs::path(*v).is_absolute() ? fs::path(*v) : (base / *v).lexically_normal();
       return Ok{};
     }},
    {"acd.hold_music",
     [](Config& c, const toml::node& n, const fs::path&, const std::string& key) -> Result<void> {
       auto v = readString(n, key);
       if (!v) return v.error();
       if (!detail::isPromptName(*v)) {
         return Error::invalid(key, fmt::format("{} must be a prompt name like \"hold-music\", "
                                                "not \"{}\"",
                                                key, *v));
       }
       c.acd.holdMusic = *v;
       return Ok{};
     }},
    {"acd.mobile_trunk",
     [](Config& c, const toml::node& n, const fs::path&, const std::string& key) -> Result<void> {
       auto v = readString(n, key);
       if (!v) return v.error();
       if (v->empty()) return Error::invalid(key, fmt::format("{} must name a trunk", key));
       c.acd.mobileTrunk = *v;
       return Ok{};
     }},
    {"auth.token_ttl_seconds", setSeconds<&Config::tokenTtl>},
    {"auth.min_password_length",
     [](Config& c, const toml::node& n, const fs::path&, const std::string& key) -> Result<void> {
       auto v = readInt(n, key, 1, 128);
       if (!v) return v.error();
       c.minPasswordLength = static_cast<std::size_t>(*v);
       return Ok{};
     }},
    {"auth.max_failed_signins", setInt<&Config::maxFailedSignIns, 1, 1000>},
    {"auth.max_failed_signins_per_address", setInt<&Config::maxFailedSignInsPerAddress, 1, 100000>},
    {"auth.signin_lockout_seconds", setSeconds<&Config::signInLockout>},
};

const Entry* findEntry(std::string_view key) {
  for (const auto& e : kEntries) {
    if (e.key == key) return &e;
  }
  return nullptr;
}

// One [[trunks]] table; `at` names it in errors ("trunks[2]").
Result<TrunkConfig> parseTrunk(const toml::table& table, const std::string& at) {
  TrunkConfig t;
  auto strings = [&](const toml::node& n, const std::string& key,
                     const std::function<bool(const std::string&)>& valid,
                     std::string_view what) -> Result<std::vector<std::string>> {
    const auto* list = n.as_array();
    if (list == nullptr) return badType(key, fmt::format("a list of {}", what));
    std::vector<std::string> out;
    for (const auto& item : *list) {
      auto text = item.value<std::string>();
      if (!text || !valid(*text))
        return Error::invalid(key, fmt::format("{} must list {}", key, what));
      out.push_back(*text);
    }
    return out;
  };
  for (const auto& [k, node] : table) {
    std::string name(k.str());
    std::string key = at + "." + name;
    if (name == "name" || name == "host" || name == "username" || name == "password" ||
        name == "transport") {
      auto v = readString(node, key);
      if (!v) return v.error();
      if (name == "name") t.name = *v;
      if (name == "host") t.host = *v;
      if (name == "username") t.username = *v;
      if (name == "password") t.password = *v;
      if (name == "transport") {
        if (*v != "udp" && *v != "tcp") {
          return Error::invalid(key, fmt::format("{} must be \"udp\" or \"tcp\"", key));
        }
        t.transport = *v;
      }
    } else if (name == "port") {
      auto v = readInt(node, key, 1, 65535);
      if (!v) return v.error();
      t.port = static_cast<std::uint16_t>(*v);
    } else if (name == "register") {
      if (!node.is_boolean()) return badType(key, "true or false");
      t.registers = *node.value<bool>();
    } else if (name == "register_expires_seconds") {
      auto v = readInt(node, key, 60, 86400);
      if (!v) return v.error();
      t.registerExpires = std::chrono::seconds(*v);
    } else if (name == "inbound_networks") {
      auto v = strings(
          node, key, [](const std::string& n) { return isValidNetwork(n); },
          "networks like \"203.0.113.0/24\"");
      if (!v) return v.error();
      t.inboundNetworks = std::move(*v);
    } else if (name == "dids") {
      auto v = strings(
          node, key,
          [](const std::string& n) {
            return !n.empty() && n.find_first_not_of("+0123456789*#") == std::string::npos;
          },
          "numbers like \"02150001234\"");
      if (!v) return v.error();
      t.dids = std::move(*v);
    } else {
      return Error::invalid(key, fmt::format("unknown key {}", key));
    }
  }
  if (t.name.empty() ||
      t.name.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-_") != std::string::npos) {
    return Error::invalid(at + ".name",
                          fmt::format("{}.name must be a lower-case name like \"carrier-1\"", at));
  }
  if (t.registers && (t.host.empty() || t.username.empty() || t.password.empty())) {
    return Error::invalid(at + ".register",
                          fmt::format("{} registers, so it needs host, username and password", at));
  }
  if (t.host.empty() && t.inboundNetworks.empty()) {
    return Error::invalid(at, fmt::format("{} needs a host (outbound) or inbound_networks", at));
  }
  if (!t.host.empty() &&
      (t.host.find_first_of(" \t;:<>@\"") != std::string::npos && !isIpAddress(t.host))) {
    return Error::invalid(at + ".host",
                          fmt::format("{}.host must be a host name or an IP address", at));
  }
  return t;
}

bool isKnownSection(std::string_view section) {
  for (const auto& e : kEntries) {
    if (e.key.substr(0, e.key.find('.')) == section) return true;
  }
  return false;
}

Result<std::uint16_t> envPort(const std::string& name, const std::string& value) {
  std::uint32_t port = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), port);
  if (ec != std::errc{} || end != value.data() + value.size() || port > 65535) {
    return Error::invalid(name,
                          fmt::format("{} must be a port number 0-65535, not \"{}\"", name, value));
  }
  return static_cast<std::uint16_t>(port);
}

Result<void> applyEnvironment(Config& c, const EnvLookup& env) {
  if (auto v = env("SWITCHBOARD_SIP_PORT")) {
    auto p = envPort("SWITCHBOARD_SIP_PORT", *v);
    if (!p) return p.error();
    c.sipPort = *p;
  }
  if (auto v = env("SWITCHBOARD_HTTP_PORT")) {
    auto p = envPort("SWITCHBOARD_HTTP_PORT", *v);
    if (!p) return p.error();
    c.httpPort = *p;
  }
  if (auto v = env("SWITCHBOARD_RTP_PORTS")) {
    auto range = parsePortRange(*v);
    if (!range) {
      return Error::invalid("SWITCHBOARD_RTP_PORTS",
                            fmt::format("SWITCHBOARD_RTP_PORTS must be \"FIRST-LAST\" with 1024 <= "
                                        "FIRST <= LAST <= 65535, not \"{}\"",
                                        *v));
    }
    c.rtpPorts = *range;
  }
  if (auto v = env("SWITCHBOARD_SIP_ADDRESSES")) {
    c.sipAddresses.clear();
    std::stringstream list(*v);
    for (std::string address; std::getline(list, address, ',');) {
      if (auto ok = validateBind("SWITCHBOARD_SIP_ADDRESSES", address); !ok) return ok;
      c.sipAddresses.push_back(address);
    }
    if (c.sipAddresses.empty()) {
      return Error::invalid("SWITCHBOARD_SIP_ADDRESSES",
                            "SWITCHBOARD_SIP_ADDRESSES must list addresses like \"0.0.0.0,::\"");
    }
  }
  if (auto v = env("SWITCHBOARD_BIND")) {
    if (auto ok = validateBind("SWITCHBOARD_BIND", *v); !ok) return ok;
    c.bind = *v;
  }
  auto pathFromEnv = [&](const char* name, fs::path& target) -> Result<void> {
    auto v = env(name);
    if (!v) return Ok{};
    if (v->empty()) return Error::invalid(name, fmt::format("{} must not be empty", name));
    target = fs::absolute(*v).lexically_normal();
    return Ok{};
  };
  if (auto ok = pathFromEnv("SWITCHBOARD_DATA_DIR", c.dataDir); !ok) return ok;
  if (auto ok = pathFromEnv("SWITCHBOARD_STATIC_DIR", c.staticDir); !ok) return ok;
  if (auto ok = pathFromEnv("SWITCHBOARD_PROMPTS_DIR", c.acd.promptsDir); !ok) return ok;
  if (auto v = env("SWITCHBOARD_LOG_LEVEL")) {
    if (auto ok = validateLogLevel("SWITCHBOARD_LOG_LEVEL", *v); !ok) return ok;
    c.logLevel = *v;
  }
  return Ok{};
}

}  // namespace

EnvLookup processEnvironment() {
  return [](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

namespace {

using Network = NetworkList::Network;

// The address bytes and prefix length of "a.b.c.d/n" or "x::y/n" (no prefix: all bits).
std::optional<Network> parseNetwork(std::string_view cidr) {
  Network n;
  auto slash = cidr.find('/');
  std::string address(cidr.substr(0, slash));
  if (inet_pton(AF_INET, address.c_str(), n.bytes.data()) == 1) {
    n.family = AF_INET;
    n.prefix = 32;
  } else if (inet_pton(AF_INET6, address.c_str(), n.bytes.data()) == 1) {
    n.family = AF_INET6;
    n.prefix = 128;
  } else {
    return std::nullopt;
  }
  if (slash != std::string_view::npos) {
    auto digits = cidr.substr(slash + 1);
    int prefix = -1;
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (ec != std::errc{} || end != digits.data() + digits.size() || prefix < 0 ||
        prefix > n.prefix) {
      return std::nullopt;
    }
    n.prefix = prefix;
  }
  return n;
}

}  // namespace

bool isValidNetwork(std::string_view cidr) {
  return parseNetwork(cidr).has_value();
}

namespace {

bool contains(const Network& net, const Network& host) {
  if (net.family != host.family) return false;
  for (int bit = 0; bit < net.prefix; ++bit) {
    unsigned mask = 0x80U >> (bit % 8);
    if ((net.bytes[bit / 8] & mask) != (host.bytes[bit / 8] & mask)) return false;
  }
  return true;
}

}  // namespace

bool networkContains(std::string_view cidr, std::string_view address) {
  auto net = parseNetwork(cidr);
  auto host = parseNetwork(address);
  return net && host && contains(*net, *host);
}

NetworkList::NetworkList(const std::vector<std::string>& cidrs) {
  for (const auto& cidr : cidrs) {
    if (auto net = parseNetwork(cidr)) networks_.push_back(*net);
  }
}

bool NetworkList::contains(std::string_view address) const {
  if (networks_.empty()) return false;
  auto host = parseNetwork(address);
  if (!host) return false;
  return std::any_of(networks_.begin(), networks_.end(),
                     [&](const Network& net) { return config::contains(net, *host); });
}

std::optional<PortRange> parsePortRange(std::string_view text) {
  auto dash = text.find('-');
  if (dash == std::string_view::npos) return std::nullopt;
  auto parse = [](std::string_view part) -> std::optional<std::uint32_t> {
    std::uint32_t v = 0;
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (part.empty() || ec != std::errc{} || end != part.data() + part.size()) return std::nullopt;
    return v;
  };
  auto first = parse(text.substr(0, dash));
  auto last = parse(text.substr(dash + 1));
  if (!first || !last || *first < 1024 || *last > 65535 || *first > *last) return std::nullopt;
  return PortRange{static_cast<std::uint16_t>(*first), static_cast<std::uint16_t>(*last)};
}

Result<Config> parseConfig(std::string_view text, const fs::path& baseDir, const EnvLookup& env) {
  Config config;
  config.dataDir = (baseDir / "var").lexically_normal();
  config.staticDir = (baseDir / "web").lexically_normal();

  toml::table root;
  try {
    root = toml::parse(text);
  } catch (const toml::parse_error& e) {
    const auto& where = e.source().begin;
    return Error::invalid("", fmt::format("TOML syntax error at line {}, column {}: {}", where.line,
                                          where.column, e.description()));
  }

  for (const auto& [sectionKey, sectionNode] : root) {
    std::string section(sectionKey.str());
    if (section == "trunks") {
      const auto* list = sectionNode.as_array();
      if (list == nullptr) return badType(section, "tables ([[trunks]])");
      for (std::size_t i = 0; i < list->size(); ++i) {
        auto at = fmt::format("trunks[{}]", i);
        const auto* table = (*list)[i].as_table();
        if (table == nullptr) return badType(at, "a table ([[trunks]])");
        auto trunk = parseTrunk(*table, at);
        if (!trunk) return trunk.error();
        for (const auto& other : config.trunks) {
          if (other.name == trunk->name) {
            return Error::invalid(at + ".name",
                                  fmt::format("two trunks are named \"{}\"", trunk->name));
          }
        }
        config.trunks.push_back(std::move(*trunk));
      }
      continue;
    }
    if (detail::isRoutingArray(section)) {
      if (auto ok = detail::parseRoutingArray(config, section, sectionNode); !ok) {
        return ok.error();
      }
      continue;
    }
    if (!isKnownSection(section)) {
      return Error::invalid(section, fmt::format("unknown section [{}]", section));
    }
    const auto* table = sectionNode.as_table();
    if (table == nullptr) return badType(section, "a table ([" + section + "])");
    for (const auto& [key, node] : *table) {
      std::string full = section + "." + std::string(key.str());
      const Entry* entry = findEntry(full);
      if (entry == nullptr) return Error::invalid(full, fmt::format("unknown key {}", full));
      if (auto ok = entry->apply(config, node, baseDir, full); !ok) return ok.error();
    }
  }

  if (auto ok = detail::checkRoutingReferences(config); !ok) return ok.error();
  if (!config.acd.mobileTrunk.empty()) {
    auto trunk =
        std::find_if(config.trunks.begin(), config.trunks.end(),
                     [&](const TrunkConfig& t) { return t.name == config.acd.mobileTrunk; });
    if (trunk == config.trunks.end() || trunk->host.empty()) {
      return Error::invalid("acd.mobile_trunk",
                            fmt::format("acd.mobile_trunk: \"{}\" is not a trunk with a host",
                                        config.acd.mobileTrunk));
    }
  }
  if (auto ok = applyEnvironment(config, env); !ok) return ok.error();
  if (config.sipAddresses.empty()) config.sipAddresses = {config.bind};
  if (config.sipAdvertisedAddress.empty()) {
    // A wildcard cannot be advertised: the first specific address, else loopback (set
    // sip.advertised_address for phones on other machines).
    for (const auto& a : config.sipAddresses) {
      if (a != "0.0.0.0" && a != "::") {
        config.sipAdvertisedAddress = a;
        break;
      }
    }
    if (config.sipAdvertisedAddress.empty()) {
      config.sipAdvertisedAddress = config.sipAddresses.front() == "::" ? "::1" : "127.0.0.1";
    }
  }
  if (config.sipT2 < config.sipT1) {
    return Error::invalid("sip.t2_ms", "sip.t2_ms must not be shorter than sip.t1_ms");
  }
  return config;
}

const TrunkConfig* mobileTrunk(const Config& config) {
  for (const auto& trunk : config.trunks) {
    if (trunk.host.empty()) continue;
    if (config.acd.mobileTrunk.empty() || trunk.name == config.acd.mobileTrunk) return &trunk;
  }
  return nullptr;
}

Result<Config> loadConfig(const fs::path& file, const EnvLookup& env) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    return Error::invalid("--config",
                          fmt::format("cannot read configuration file {}", file.string()));
  }
  std::stringstream buffer;
  buffer << in.rdbuf();
  fs::path absolute = fs::absolute(file).lexically_normal();
  auto config = parseConfig(buffer.str(), absolute.parent_path(), env);
  if (config) config->sourceFile = absolute;
  return config;
}

}  // namespace sb::config
