#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "core/time.hpp"

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

// [acd]: how queued calls are handled everywhere.
struct AcdConfig {
  std::chrono::seconds ringTimeout{30};  // 振铃30s自动转小休: then break "no answer" and requeue
  // After-call work (话后处理) after each call: 0 none; ended by the agent or this timer.
  std::chrono::seconds afterCallWork{15};
  // after_call_work_seconds = -1: after-call work with no timer (afterCallWork is then 0, so read
  // this first).
  bool afterCallWorkUntilAgentEnds = false;
  std::chrono::seconds serviceLevelThreshold{20};  // service level: answered within this
  double serviceLevelTarget = 0.8;                 // shown beside it (80/20)
  std::chrono::seconds announceInterval{30};       // position/wait announcements; 0: never
  bool recordCalls = true;                         // the default of every queue's `record`
  std::chrono::seconds voicemailMaxLength{120};
  // empty: the prompts installed beside the binary; SWITCHBOARD_PROMPTS_DIR overrides the file.
  std::filesystem::path promptsDir;
  std::string holdMusic = "hold-music";  // prompt name played to queued callers
  // The trunk (by name) that calls agents in mobile answering (手机接听); empty: the first trunk
  // with a host. See mobileTrunk().
  std::string mobileTrunk;
};

// [[queues]]: the queue of one skill group (技能组), by the group's name.
struct QueueConfig {
  std::string group;
  std::string strategy = "longest_idle";  // longest_idle, round_robin, ring_all, highest_skill
  std::optional<std::chrono::seconds> maxWait;  // then overflow
  std::string overflow;                         // "": none; "voicemail"; or a group name
  std::optional<bool> record;                   // none: acd.record_calls
};

// [[schedules]]: business hours (工作时间) by weekday, and holidays when closed all day.
struct WeeklyHours {
  int weekday = 0;      // 0 Monday ... 6 Sunday
  int startMinute = 0;  // minutes after midnight
  int endMinute = 0;    // exclusive; 1440 for "24:00"
  bool operator==(const WeeklyHours&) const = default;
};
struct ScheduleConfig {
  std::string name;
  std::optional<int> utcOffsetMinutes;  // none: the server's local time
  std::vector<WeeklyHours> hours;
  // "YYYY-MM-DD", each closed all day (in the schedule's time zone); ranges in the file are
  // expanded, the list is sorted without duplicates.
  std::vector<std::string> holidays;
};

// [[flows]]: an IVR flow, a graph of nodes starting at `start`.
struct FlowNode {
  enum class Kind { kPlay, kHours, kMenu, kQueue, kVoicemail, kHangUp };
  std::string id;
  Kind kind = Kind::kHangUp;
  std::string prompt;  // play, menu, voicemail (before the beep); a prompt name
  std::string next;    // play: the node after it
  // hours: which node while `schedule` is open, which when closed (非工作时间)
  std::string schedule;
  std::string open;
  std::string closed;
  // menu: digit ("0"-"9", "*", "#") -> node; re-prompted with `invalidPrompt` on a wrong digit
  // or no digit within `timeout`, `attempts` times in all, then `onFailure` (empty: hang up)
  std::vector<std::pair<std::string, std::string>> choices;
  std::chrono::seconds timeout{5};
  int attempts = 3;
  std::string invalidPrompt = "invalid";
  std::string onFailure;
  // queue: the skill group's name and the callers' priority (higher first)
  std::string group;
  int priority = 0;
};
struct FlowConfig {
  std::string name;
  std::string start;
  std::vector<FlowNode> nodes;
  const FlowNode* node(std::string_view id) const;  // nullptr: no node has that id
};

// [[numbers]]: a number callers dial (DID, 接入号) and where it goes: a flow or a group.
struct NumberConfig {
  std::string number;
  std::string flow;  // exactly one of flow and group
  std::string group;
  int priority = 0;  // with group
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
  // How long a finished call's record may wait in the journal for the database's next commit
  // (other processes see it that much later; a crash loses nothing either way).
  std::chrono::milliseconds callRecordsCommit{500};

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

  // [acd], [[queues]], [[schedules]], [[flows]], [[numbers]]
  AcdConfig acd;
  std::vector<QueueConfig> queues;
  std::vector<ScheduleConfig> schedules;
  std::vector<FlowConfig> flows;
  std::vector<NumberConfig> numbers;

  // [auth]
  std::chrono::seconds tokenTtl{12 * 3600};
  std::size_t minPasswordLength = 8;
  // Web sign-in throttling: failed sign-ins a username, or an address, may have before further
  // attempts are refused (429) until none has failed for the lockout.
  int maxFailedSignIns = 5;
  int maxFailedSignInsPerAddress = 20;
  std::chrono::seconds signInLockout{300};

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

// The trunk that calls agents' mobiles: acd.mobile_trunk, else the first trunk with a host;
// nullptr when there is none.
const TrunkConfig* mobileTrunk(const Config& config);

// "192.0.2.0/24", "2001:db8::/32" or a single address.
bool isValidNetwork(std::string_view cidr);
bool networkContains(std::string_view cidr, std::string_view address);

// Networks parsed once, for the checks made on every packet. Invalid entries are left out
// (configuration loading has refused them already).
class NetworkList {
 public:
  struct Network {
    std::array<unsigned char, 16> bytes{};
    int family = 0;
    int prefix = 0;
  };
  explicit NetworkList(const std::vector<std::string>& cidrs);
  bool contains(std::string_view address) const;

 private:
  std::vector<Network> networks_;
};

// Whether `schedule` is open at `at` (UTC seconds): inside one of its weekly hours in its time
// zone and not on one of its holidays. A schedule without hours is never open. Without a UTC
// offset it uses the server's local time (TZ, localtime_r).
bool isOpen(const ScheduleConfig& schedule, UnixSeconds at);

// "20000-29999" -> {20000, 29999}.
std::optional<PortRange> parsePortRange(std::string_view text);

}  // namespace sb::config
