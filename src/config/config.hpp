#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace sb::config {

struct PortRange {
  std::uint16_t first = 20000;
  std::uint16_t last = 29999;
};

// A carrier's SIP trunk ([[trunks]]). Inbound: calls from its networks need no digest and may
// only call its DIDs. Outbound: requests go to `host` (a name is located per RFC 3263), after
// registering there when `register` is set.
struct TrunkConfig {
  std::string name;
  std::vector<std::string> inboundNetworks;  // "203.0.113.0/24"; empty: no inbound calls
  std::vector<std::string> dids;             // numbers it may call; empty: any
  std::string host;                          // empty: inbound only
  std::optional<std::uint16_t> port;         // with a port, no NAPTR/SRV lookup
  std::optional<std::string> transport;      // "udp" or "tcp"; none: as DNS says
  bool registers = false;
  std::string username;  // digest user and the user part of our AOR there
  std::string password;
  std::chrono::seconds registerExpires{3600};
};

// Everything the server reads at start-up. Paths are absolute once loaded.
struct Config {
  std::filesystem::path sourceFile;

  // [server]
  bool demo = false;
  std::string logLevel = "info";
  std::string bind = "127.0.0.1";
  std::filesystem::path dataDir;
  std::chrono::seconds shutdownGrace{10};

  // [sip]; port 0 picks a free port.
  std::uint16_t sipPort = 5060;
  // Addresses SIP listens on (UDP and TCP each); server.bind when not configured.
  std::vector<std::string> sipAddresses;
  // The address put in our Via and Contact headers: the first SIP address unless configured
  // (behind NAT, the public address).
  std::string sipAdvertisedAddress;
  std::string sipRealm = "switchboard";
  // Networks of inbound trunks: exempt from the per-source packet budget (never from bans).
  std::vector<std::string> sipTrustedNetworks;
  std::uint32_t sipMaxAuthFailures = 10;
  std::chrono::seconds sipBanTime{600};
  std::uint32_t sipPacketsPerSecond = 200;
  // Digest algorithms offered, one challenge each in this order (RFC 8760). MD5 alone by
  // default: SIPp 3.6 reads only the first challenge, and baresip 1.0 (like many deployed phones)
  // gives up on the whole answer when any challenge uses an algorithm it lacks.
  std::vector<std::string> sipAuthAlgorithms = {"MD5"};
  // RFC 3261 timer bases (§17): round-trip estimate, longest retransmit interval, network life.
  std::chrono::milliseconds sipT1{500};
  std::chrono::milliseconds sipT2{4000};
  std::chrono::milliseconds sipT4{5000};

  // [[trunks]]
  std::vector<TrunkConfig> trunks;

  // [http]
  std::uint16_t httpPort = 8080;
  std::filesystem::path staticDir;
  std::size_t httpMaxBodyBytes = std::size_t{1024} * 1024;
  std::chrono::seconds httpIdleTimeout{60};

  // [rtp]
  PortRange rtpPorts;
  // A call whose phone sent no RTP for this long (while it should) is hung up: a phone that
  // died without BYE must not keep an agent busy. 0: never.
  std::chrono::seconds rtpTimeout{30};

  // [auth]
  std::chrono::seconds tokenTtl{12 * 3600};
  std::size_t minPasswordLength = 8;

  std::filesystem::path databasePath() const { return dataDir / "switchboard.db"; }
};

// Reads an environment variable; injected so tests need not touch the process environment.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
EnvLookup processEnvironment();

// Parses TOML text. Relative paths in the file are taken from `baseDir` (the file's folder);
// relative paths in SWITCHBOARD_* variables from the working directory. The error's `field` names
// the key (e.g. "http.port") or the variable (e.g. "SWITCHBOARD_HTTP_PORT") at fault.
Result<Config> parseConfig(std::string_view toml, const std::filesystem::path& baseDir,
                           const EnvLookup& env);

Result<Config> loadConfig(const std::filesystem::path& file, const EnvLookup& env);

// "192.0.2.0/24", "2001:db8::/32" or a single address.
bool isValidNetwork(std::string_view cidr);
bool networkContains(std::string_view cidr, std::string_view address);

// "20000-29999" -> {20000, 29999}.
std::optional<PortRange> parsePortRange(std::string_view text);

}  // namespace sb::config
