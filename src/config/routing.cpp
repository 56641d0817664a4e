// Inbound routing: [[queues]], [[schedules]], [[flows]], [[numbers]], and business hours.

#include <algorithm>
#include <cctype>
#include <charconv>
#include <chrono>
#include <ctime>
#include <functional>
#include <iterator>
#include <optional>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "config/config.hpp"
#include "config/routing_parser.hpp"
#include "config/toml_values.hpp"

namespace sb::config {

namespace chr = std::chrono;

const FlowNode* FlowConfig::node(std::string_view id) const {
  for (const auto& n : nodes) {
    if (n.id == id) return &n;
  }
  return nullptr;
}

namespace detail {

namespace {

constexpr std::string_view kWeekdays[] = {"mon", "tue", "wed", "thu", "fri", "sat", "sun"};
constexpr int kMaxHolidayRangeDays = 366;

// Each table must be a table in an array of tables ("[[queues]]").
template <typename ParseOne>
Result<void> forEachTable(const toml::node& node, const std::string& section, ParseOne&& parseOne) {
  const auto* list = node.as_array();
  if (list == nullptr) return badType(section, fmt::format("tables ([[{}]])", section));
  for (std::size_t i = 0; i < list->size(); ++i) {
    auto at = fmt::format("{}[{}]", section, i);
    const auto* table = (*list)[i].as_table();
    if (table == nullptr) return badType(at, fmt::format("a table ([[{}]])", section));
    if (auto ok = parseOne(*table, at); !ok) return ok;
  }
  return Ok{};
}

Result<std::string> readNonEmpty(const toml::node& node, const std::string& key) {
  auto v = readString(node, key);
  if (!v) return v;
  if (v->empty()) return Error::invalid(key, fmt::format("{} must not be empty", key));
  return v;
}

Result<std::string> readPromptName(const toml::node& node, const std::string& key) {
  auto v = readString(node, key);
  if (!v) return v;
  if (!isPromptName(*v)) {
    return Error::invalid(key, fmt::format("{} must be a prompt name like \"welcome\" (letters, "
                                           "digits, '.', '_', '-'; no '/' or \"..\"), not \"{}\"",
                                           key, *v));
  }
  return v;
}

// ---- [[queues]] ----

Result<void> parseQueue(Config& config, const toml::table& table, const std::string& at) {
  QueueConfig q;
  bool hasGroup = false;
  for (const auto& [k, node] : table) {
    std::string name(k.str());
    std::string key = at + "." + name;
    if (name == "group") {
      auto v = readNonEmpty(node, key);
      if (!v) return v.error();
      q.group = *v;
      hasGroup = true;
    } else if (name == "strategy") {
      auto v = readString(node, key);
      if (!v) return v.error();
      if (*v != "longest_idle" && *v != "round_robin" && *v != "ring_all" &&
          *v != "highest_skill") {
        return Error::invalid(key, fmt::format("{} must be one of longest_idle, round_robin, "
                                               "ring_all, highest_skill; not \"{}\"",
                                               key, *v));
      }
      q.strategy = *v;
    } else if (name == "max_wait_seconds") {
      auto v = readInt(node, key, 1, 86400);
      if (!v) return v.error();
      q.maxWait = chr::seconds(*v);
    } else if (name == "overflow") {
      auto v = readNonEmpty(node, key);
      if (!v) return v.error();
      q.overflow = *v;
    } else if (name == "record") {
      auto v = readBool(node, key);
      if (!v) return v.error();
      q.record = *v;
    } else {
      return Error::invalid(key, fmt::format("unknown key {}", key));
    }
  }
  if (!hasGroup) {
    return Error::invalid(at + ".group", fmt::format("{} needs the skill group's name", at));
  }
  for (const auto& other : config.queues) {
    if (other.group == q.group) {
      return Error::invalid(at + ".group",
                            fmt::format("two [[queues]] are for group \"{}\"", q.group));
    }
  }
  if (!q.overflow.empty()) {
    if (q.overflow == q.group) {
      return Error::invalid(at + ".overflow",
                            fmt::format("{}.overflow must not be its own group", at));
    }
    if (!q.maxWait) {
      return Error::invalid(
          at + ".overflow",
          fmt::format("{}.overflow needs max_wait_seconds: when to overflow", at));
    }
  }
  config.queues.push_back(std::move(q));
  return Ok{};
}

// ---- [[schedules]] ----

// "HH:MM" (00:00-23:59; "24:00" too when `end`) -> minutes after midnight.
std::optional<int> parseClock(std::string_view text, bool end) {
  if (text.size() != 5 || text[2] != ':') return std::nullopt;
  auto two = [&](std::size_t at) -> std::optional<int> {
    if (text[at] < '0' || text[at] > '9' || text[at + 1] < '0' || text[at + 1] > '9') {
      return std::nullopt;
    }
    return (text[at] - '0') * 10 + (text[at + 1] - '0');
  };
  auto h = two(0);
  auto m = two(3);
  if (!h || !m || *m > 59) return std::nullopt;
  if (*h == 24 && *m == 0 && end) return 24 * 60;
  if (*h > 23) return std::nullopt;
  return *h * 60 + *m;
}

std::optional<int> parseWeekday(std::string_view text) {
  for (int i = 0; i < 7; ++i) {
    if (kWeekdays[i] == text) return i;
  }
  return std::nullopt;
}

// "mon-fri 09:00-18:00", "sat 10:00-12:30", "mon,wed,fri-sun 08:00-24:00".
Result<void> parseHours(std::string_view entry, const std::string& key,
                        std::vector<WeeklyHours>& out) {
  auto bad = [&](std::string_view why) {
    return Error::invalid(
        key, fmt::format("{}: \"{}\" {} (write e.g. \"mon-fri 09:00-18:00\")", key, entry, why));
  };
  std::string lower(entry);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  std::string_view text(lower);
  auto isSpace = [](char c) { return c == ' ' || c == '\t'; };
  while (!text.empty() && isSpace(text.front()))
    text.remove_prefix(1);
  while (!text.empty() && isSpace(text.back()))
    text.remove_suffix(1);
  auto space = std::find_if(text.begin(), text.end(), isSpace);
  if (space == text.end()) return bad("needs days and a time range");
  std::string_view days = text.substr(0, static_cast<std::size_t>(space - text.begin()));
  std::string_view times = text.substr(static_cast<std::size_t>(space - text.begin()));
  while (!times.empty() && isSpace(times.front()))
    times.remove_prefix(1);

  auto dash = times.find('-');
  if (dash == std::string_view::npos) return bad("has no time range HH:MM-HH:MM");
  auto start = parseClock(times.substr(0, dash), false);
  auto end = parseClock(times.substr(dash + 1), true);
  if (!start || !end) return bad("has a time that is not HH:MM (00:00 to 24:00)");
  if (*end <= *start) {
    return bad("ends before it starts (split a night shift at 24:00 into two days)");
  }

  std::vector<int> weekdays;
  for (std::size_t from = 0; from <= days.size();) {
    auto comma = days.find(',', from);
    auto item =
        days.substr(from, comma == std::string_view::npos ? std::string_view::npos : comma - from);
    auto itemDash = item.find('-');
    auto first = parseWeekday(item.substr(0, itemDash));
    auto last =
        itemDash == std::string_view::npos ? first : parseWeekday(item.substr(itemDash + 1));
    if (!first || !last) return bad("has a day that is not mon, tue, wed, thu, fri, sat or sun");
    if (*last < *first) return bad("has a day range that does not run from mon towards sun");
    for (int d = *first; d <= *last; ++d)
      weekdays.push_back(d);
    if (comma == std::string_view::npos) break;
    from = comma + 1;
  }
  for (int d : weekdays)
    out.push_back(WeeklyHours{d, *start, *end});
  return Ok{};
}

// "YYYY-MM-DD", a real date.
std::optional<chr::sys_days> parseDate(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  auto number = [&](std::size_t at, std::size_t len) -> std::optional<int> {
    int v = 0;
    auto part = text.substr(at, len);
    auto [end, ec] = std::from_chars(part.data(), part.data() + part.size(), v);
    if (ec != std::errc{} || end != part.data() + part.size() || part.front() == '+' ||
        part.front() == '-') {
      return std::nullopt;
    }
    return v;
  };
  auto y = number(0, 4);
  auto m = number(5, 2);
  auto d = number(8, 2);
  if (!y || !m || !d) return std::nullopt;
  chr::year_month_day date{chr::year{*y}, chr::month{static_cast<unsigned>(*m)},
                           chr::day{static_cast<unsigned>(*d)}};
  if (!date.ok()) return std::nullopt;
  return chr::sys_days{date};
}

std::string formatDate(chr::sys_days day) {
  chr::year_month_day date{day};
  return fmt::format("{:04}-{:02}-{:02}", static_cast<int>(date.year()),
                     static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
}

// "2026-10-01" or "2026-10-01..2026-10-07" (inclusive).
Result<void> parseHoliday(std::string_view entry, const std::string& key,
                          std::vector<std::string>& out) {
  auto dots = entry.find("..");
  auto first = parseDate(entry.substr(0, dots));
  auto last = dots == std::string_view::npos ? first : parseDate(entry.substr(dots + 2));
  if (!first || !last) {
    return Error::invalid(key, fmt::format("{}: \"{}\" is not a date \"YYYY-MM-DD\" or a range "
                                           "\"YYYY-MM-DD..YYYY-MM-DD\"",
                                           key, entry));
  }
  if (*last < *first) {
    return Error::invalid(key, fmt::format("{}: \"{}\" ends before it starts", key, entry));
  }
  if ((*last - *first).count() + 1 > kMaxHolidayRangeDays) {
    return Error::invalid(
        key, fmt::format("{}: \"{}\" is longer than {} days", key, entry, kMaxHolidayRangeDays));
  }
  for (auto day = *first; day <= *last; day += chr::days{1})
    out.push_back(formatDate(day));
  return Ok{};
}

// "+08:00", "-05:30" -> minutes east of UTC.
std::optional<int> parseUtcOffset(std::string_view text) {
  if (text.size() != 6 || (text[0] != '+' && text[0] != '-')) return std::nullopt;
  auto clock = parseClock(text.substr(1), false);
  if (!clock || *clock > 14 * 60) return std::nullopt;
  return text[0] == '-' ? -*clock : *clock;
}

Result<void> parseSchedule(Config& config, const toml::table& table, const std::string& at) {
  ScheduleConfig s;
  bool hasName = false;
  auto strings = [](const toml::node& node, const std::string& key,
                    std::string_view what) -> Result<std::vector<std::string>> {
    const auto* list = node.as_array();
    if (list == nullptr) return badType(key, fmt::format("a list of {}", what));
    std::vector<std::string> out;
    for (const auto& item : *list) {
      auto text = item.value<std::string>();
      if (!item.is_string() || !text) return badType(key, fmt::format("a list of {}", what));
      out.push_back(*text);
    }
    return out;
  };
  for (const auto& [k, node] : table) {
    std::string name(k.str());
    std::string key = at + "." + name;
    if (name == "name") {
      auto v = readNonEmpty(node, key);
      if (!v) return v.error();
      s.name = *v;
      hasName = true;
    } else if (name == "utc_offset") {
      auto v = readString(node, key);
      if (!v) return v.error();
      auto offset = parseUtcOffset(*v);
      if (!offset) {
        return Error::invalid(key, fmt::format("{} must be \"+HH:MM\" or \"-HH:MM\" (at most "
                                               "14:00), like \"+08:00\"; not \"{}\"",
                                               key, *v));
      }
      s.utcOffsetMinutes = *offset;
    } else if (name == "hours") {
      auto v = strings(node, key, "hours like \"mon-fri 09:00-18:00\"");
      if (!v) return v.error();
      for (const auto& entry : *v) {
        if (auto ok = parseHours(entry, key, s.hours); !ok) return ok;
      }
    } else if (name == "holidays") {
      auto v = strings(node, key, "dates like \"2026-10-01\" or \"2026-10-01..2026-10-07\"");
      if (!v) return v.error();
      for (const auto& entry : *v) {
        if (auto ok = parseHoliday(entry, key, s.holidays); !ok) return ok;
      }
      std::sort(s.holidays.begin(), s.holidays.end());
      s.holidays.erase(std::unique(s.holidays.begin(), s.holidays.end()), s.holidays.end());
    } else {
      return Error::invalid(key, fmt::format("unknown key {}", key));
    }
  }
  if (!hasName) return Error::invalid(at + ".name", fmt::format("{} needs a name", at));
  for (const auto& other : config.schedules) {
    if (other.name == s.name) {
      return Error::invalid(at + ".name", fmt::format("two schedules are named \"{}\"", s.name));
    }
  }
  config.schedules.push_back(std::move(s));
  return Ok{};
}

// ---- [[flows]] ----

struct NodeKind {
  std::string_view type;
  FlowNode::Kind kind;
  std::vector<std::string_view> keys;  // besides id and type
};
const NodeKind kNodeKinds[] = {
    {"play", FlowNode::Kind::kPlay, {"prompt", "next"}},
    {"hours", FlowNode::Kind::kHours, {"schedule", "open", "closed"}},
    {"menu",
     FlowNode::Kind::kMenu,
     {"prompt", "choices", "timeout_seconds", "attempts", "invalid_prompt", "on_failure"}},
    {"queue", FlowNode::Kind::kQueue, {"group", "priority"}},
    {"voicemail", FlowNode::Kind::kVoicemail, {"prompt"}},
    {"hangup", FlowNode::Kind::kHangUp, {}},
};

bool isKeyOfAnyNode(std::string_view key) {
  return std::any_of(std::begin(kNodeKinds), std::end(kNodeKinds), [&](const NodeKind& k) {
    return std::find(k.keys.begin(), k.keys.end(), key) != k.keys.end();
  });
}

bool isMenuDigit(std::string_view digit) {
  return digit.size() == 1 &&
         std::string_view("0123456789*#").find(digit[0]) != std::string_view::npos;
}

Result<FlowNode> parseNode(const toml::table& table, const std::string& at) {
  FlowNode n;
  const auto* type = table.get("type");
  if (type == nullptr) {
    return Error::invalid(at + ".type", fmt::format("{} needs a type: play, hours, menu, queue, "
                                                    "voicemail or hangup",
                                                    at));
  }
  auto typeName = readString(*type, at + ".type");
  if (!typeName) return typeName.error();
  const NodeKind* kind = nullptr;
  for (const auto& k : kNodeKinds) {
    if (k.type == *typeName) kind = &k;
  }
  if (kind == nullptr) {
    return Error::invalid(at + ".type", fmt::format("{}.type must be one of play, hours, menu, "
                                                    "queue, voicemail, hangup; not \"{}\"",
                                                    at, *typeName));
  }
  n.kind = kind->kind;
  if (n.kind == FlowNode::Kind::kVoicemail) n.prompt = "after-hours";

  bool hasId = false;
  for (const auto& [k, node] : table) {
    std::string name(k.str());
    std::string key = at + "." + name;
    if (name == "type") continue;
    if (name == "id") {
      auto v = readNonEmpty(node, key);
      if (!v) return v.error();
      n.id = *v;
      hasId = true;
      continue;
    }
    if (std::find(kind->keys.begin(), kind->keys.end(), name) == kind->keys.end()) {
      if (isKeyOfAnyNode(name)) {
        return Error::invalid(key, fmt::format("{} does not apply to a {} node", key, kind->type));
      }
      return Error::invalid(key, fmt::format("unknown key {}", key));
    }
    if (name == "prompt" || name == "invalid_prompt") {
      auto v = readPromptName(node, key);
      if (!v) return v.error();
      (name == "prompt" ? n.prompt : n.invalidPrompt) = *v;
    } else if (name == "next" || name == "schedule" || name == "open" || name == "closed" ||
               name == "group") {
      auto v = readNonEmpty(node, key);
      if (!v) return v.error();
      if (name == "next") n.next = *v;
      if (name == "schedule") n.schedule = *v;
      if (name == "open") n.open = *v;
      if (name == "closed") n.closed = *v;
      if (name == "group") n.group = *v;
    } else if (name == "on_failure") {
      auto v = readString(node, key);  // "": hang up
      if (!v) return v.error();
      n.onFailure = *v;
    } else if (name == "timeout_seconds") {
      auto v = readInt(node, key, 1, 60);
      if (!v) return v.error();
      n.timeout = chr::seconds(*v);
    } else if (name == "attempts") {
      auto v = readInt(node, key, 1, 10);
      if (!v) return v.error();
      n.attempts = static_cast<int>(*v);
    } else if (name == "priority") {
      auto v = readInt(node, key, -1000, 1000);
      if (!v) return v.error();
      n.priority = static_cast<int>(*v);
    } else if (name == "choices") {
      const auto* choices = node.as_table();
      if (choices == nullptr) return badType(key, "a table like { \"1\" = \"sales\" }");
      for (const auto& [digit, target] : *choices) {
        if (!isMenuDigit(digit.str())) {
          return Error::invalid(
              key, fmt::format("{}: \"{}\" is not one key of 0-9, * or #", key, digit.str()));
        }
        auto v = readNonEmpty(target, key);
        if (!v) return v.error();
        n.choices.emplace_back(std::string(digit.str()), *v);
      }
    }
  }
  if (!hasId) return Error::invalid(at + ".id", fmt::format("{} needs an id", at));

  auto require = [&](const std::string& value, std::string_view name) -> Result<void> {
    if (!value.empty()) return Ok{};
    return Error::invalid(at + "." + std::string(name),
                          fmt::format("{} is a {} node, so it needs {}", at, kind->type, name));
  };
  switch (n.kind) {
    case FlowNode::Kind::kPlay:
      if (auto ok = require(n.prompt, "prompt"); !ok) return ok.error();
      if (auto ok = require(n.next, "next"); !ok) return ok.error();
      break;
    case FlowNode::Kind::kHours:
      if (auto ok = require(n.schedule, "schedule"); !ok) return ok.error();
      if (auto ok = require(n.open, "open"); !ok) return ok.error();
      if (auto ok = require(n.closed, "closed"); !ok) return ok.error();
      break;
    case FlowNode::Kind::kMenu:
      if (auto ok = require(n.prompt, "prompt"); !ok) return ok.error();
      if (n.choices.empty()) {
        return Error::invalid(
            at + ".choices", fmt::format("{} is a menu node, so it needs at least one choice", at));
      }
      break;
    case FlowNode::Kind::kQueue:
      if (auto ok = require(n.group, "group"); !ok) return ok.error();
      break;
    case FlowNode::Kind::kVoicemail:
    case FlowNode::Kind::kHangUp:
      break;
  }
  return n;
}

// A cycle made only of nodes that never wait for the caller (play, hours) would go round for
// ever: an error naming the edge that closes it.
Result<void> checkNoWaitlessCycle(const FlowConfig& flow, const std::string& at) {
  auto waitless = [](const FlowNode* n) {
    return n != nullptr && (n->kind == FlowNode::Kind::kPlay || n->kind == FlowNode::Kind::kHours);
  };
  auto indexOf = [&](const FlowNode* n) { return static_cast<std::size_t>(n - flow.nodes.data()); };
  enum class Mark { kNew, kOnPath, kDone };
  std::vector<Mark> marks(flow.nodes.size(), Mark::kNew);
  std::vector<std::size_t> path;

  // Depth-first from `i`; the path of waitless nodes being walked is `path`.
  std::function<Result<void>(std::size_t)> visit = [&](std::size_t i) -> Result<void> {
    marks[i] = Mark::kOnPath;
    path.push_back(i);
    const FlowNode& n = flow.nodes[i];
    std::vector<std::pair<std::string_view, const std::string*>> edges;
    if (n.kind == FlowNode::Kind::kPlay) edges = {{"next", &n.next}};
    if (n.kind == FlowNode::Kind::kHours) edges = {{"open", &n.open}, {"closed", &n.closed}};
    for (const auto& [edge, target] : edges) {
      const FlowNode* to = flow.node(*target);
      if (!waitless(to)) continue;
      std::size_t j = indexOf(to);
      if (marks[j] == Mark::kOnPath) {
        std::string loop;
        for (auto p = std::find(path.begin(), path.end(), j); p != path.end(); ++p) {
          loop += flow.nodes[*p].id + " -> ";
        }
        loop += to->id;
        return Error::invalid(
            fmt::format("{}.nodes[{}].{}", at, i, edge),
            fmt::format("{} (\"{}\") loops {} without waiting for the caller: put a menu, queue, "
                        "voicemail or hangup node in the loop",
                        at, flow.name, loop));
      }
      if (marks[j] == Mark::kNew) {
        if (auto ok = visit(j); !ok) return ok;
      }
    }
    path.pop_back();
    marks[i] = Mark::kDone;
    return Ok{};
  };
  for (std::size_t i = 0; i < flow.nodes.size(); ++i) {
    if (marks[i] == Mark::kNew && waitless(&flow.nodes[i])) {
      if (auto ok = visit(i); !ok) return ok;
    }
  }
  return Ok{};
}

Result<void> parseFlow(Config& config, const toml::table& table, const std::string& at) {
  FlowConfig f;
  bool hasName = false;
  bool hasStart = false;
  for (const auto& [k, node] : table) {
    std::string name(k.str());
    std::string key = at + "." + name;
    if (name == "name" || name == "start") {
      auto v = readNonEmpty(node, key);
      if (!v) return v.error();
      (name == "name" ? f.name : f.start) = *v;
      (name == "name" ? hasName : hasStart) = true;
    } else if (name == "nodes") {
      auto ok = forEachTable(node, key, [&](const toml::table& t, const std::string& nodeAt) {
        auto n = parseNode(t, nodeAt);
        if (!n) return Result<void>(n.error());
        if (f.node(n->id) != nullptr) {
          return Result<void>(Error::invalid(
              nodeAt + ".id", fmt::format("{} has two nodes with id \"{}\"", at, n->id)));
        }
        f.nodes.push_back(std::move(*n));
        return Result<void>(Ok{});
      });
      if (!ok) return ok;
    } else {
      return Error::invalid(key, fmt::format("unknown key {}", key));
    }
  }
  if (!hasName) return Error::invalid(at + ".name", fmt::format("{} needs a name", at));
  for (const auto& other : config.flows) {
    if (other.name == f.name) {
      return Error::invalid(at + ".name", fmt::format("two flows are named \"{}\"", f.name));
    }
  }
  if (f.nodes.empty()) {
    return Error::invalid(at + ".nodes", fmt::format("{} needs nodes ([[flows.nodes]])", at));
  }
  if (!hasStart) {
    return Error::invalid(at + ".start", fmt::format("{} needs start: the first node's id", at));
  }
  auto exists = [&](const std::string& id, const std::string& key) -> Result<void> {
    if (f.node(id) != nullptr) return Ok{};
    return Error::invalid(key, fmt::format("{} names node \"{}\", which {} (\"{}\") does not have",
                                           key, id, at, f.name));
  };
  if (auto ok = exists(f.start, at + ".start"); !ok) return ok;
  for (std::size_t i = 0; i < f.nodes.size(); ++i) {
    const FlowNode& n = f.nodes[i];
    auto nodeAt = fmt::format("{}.nodes[{}]", at, i);
    for (const auto& [name, id] : {std::pair<std::string_view, const std::string&>{"next", n.next},
                                   {"open", n.open},
                                   {"closed", n.closed},
                                   {"on_failure", n.onFailure}}) {
      if (id.empty()) continue;
      if (auto ok = exists(id, fmt::format("{}.{}", nodeAt, name)); !ok) return ok;
    }
    for (const auto& [digit, id] : n.choices) {
      if (auto ok = exists(id, nodeAt + ".choices"); !ok) return ok;
    }
  }
  if (auto ok = checkNoWaitlessCycle(f, at); !ok) return ok;
  config.flows.push_back(std::move(f));
  return Ok{};
}

// ---- [[numbers]] ----

Result<void> parseNumber(Config& config, const toml::table& table, const std::string& at) {
  NumberConfig n;
  bool hasPriority = false;
  for (const auto& [k, node] : table) {
    std::string name(k.str());
    std::string key = at + "." + name;
    if (name == "number") {
      auto v = readString(node, key);
      if (!v) return v.error();
      if (v->empty() || v->find_first_not_of("+0123456789*#") != std::string::npos) {
        return Error::invalid(key, fmt::format("{} must be digits, '+', '*' or '#' like \"4000\", "
                                               "not \"{}\"",
                                               key, *v));
      }
      n.number = *v;
    } else if (name == "flow" || name == "group") {
      auto v = readNonEmpty(node, key);
      if (!v) return v.error();
      (name == "flow" ? n.flow : n.group) = *v;
    } else if (name == "priority") {
      auto v = readInt(node, key, -1000, 1000);
      if (!v) return v.error();
      n.priority = static_cast<int>(*v);
      hasPriority = true;
    } else {
      return Error::invalid(key, fmt::format("unknown key {}", key));
    }
  }
  if (n.number.empty()) return Error::invalid(at + ".number", fmt::format("{} needs a number", at));
  if (n.flow.empty() == n.group.empty()) {
    return Error::invalid(n.flow.empty() ? at : at + ".flow",
                          fmt::format("{} needs exactly one of flow and group", at));
  }
  if (hasPriority && n.group.empty()) {
    return Error::invalid(at + ".priority",
                          fmt::format("{}.priority goes with group; a flow's queue node has its "
                                      "own priority",
                                      at));
  }
  for (const auto& other : config.numbers) {
    if (other.number == n.number) {
      return Error::invalid(at + ".number", fmt::format("number {} is listed twice", n.number));
    }
  }
  config.numbers.push_back(std::move(n));
  return Ok{};
}

}  // namespace

bool isPromptName(std::string_view name) {
  return !name.empty() && name != "." && name.find("..") == std::string_view::npos &&
         name.find_first_not_of(
             "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") ==
             std::string_view::npos;
}

bool isRoutingArray(std::string_view section) {
  return section == "queues" || section == "schedules" || section == "flows" ||
         section == "numbers";
}

Result<void> parseRoutingArray(Config& config, const std::string& section, const toml::node& node) {
  return forEachTable(node, section, [&](const toml::table& table, const std::string& at) {
    if (section == "queues") return parseQueue(config, table, at);
    if (section == "schedules") return parseSchedule(config, table, at);
    if (section == "flows") return parseFlow(config, table, at);
    return parseNumber(config, table, at);
  });
}

Result<void> checkRoutingReferences(const Config& config) {
  for (std::size_t f = 0; f < config.flows.size(); ++f) {
    const auto& nodes = config.flows[f].nodes;
    for (std::size_t i = 0; i < nodes.size(); ++i) {
      if (nodes[i].schedule.empty()) continue;
      bool known =
          std::any_of(config.schedules.begin(), config.schedules.end(),
                      [&](const ScheduleConfig& s) { return s.name == nodes[i].schedule; });
      if (!known) {
        auto key = fmt::format("flows[{}].nodes[{}].schedule", f, i);
        return Error::invalid(key, fmt::format("{} names schedule \"{}\", which no [[schedules]] "
                                               "defines",
                                               key, nodes[i].schedule));
      }
    }
  }
  for (std::size_t i = 0; i < config.numbers.size(); ++i) {
    const auto& flow = config.numbers[i].flow;
    if (flow.empty()) continue;
    bool known = std::any_of(config.flows.begin(), config.flows.end(),
                             [&](const FlowConfig& f) { return f.name == flow; });
    if (!known) {
      auto key = fmt::format("numbers[{}].flow", i);
      return Error::invalid(
          key, fmt::format("{} names flow \"{}\", which no [[flows]] defines", key, flow));
    }
  }
  return Ok{};
}

}  // namespace detail

bool isOpen(const ScheduleConfig& schedule, UnixSeconds at) {
  if (schedule.hours.empty()) return false;
  // The wall-clock time there, written as if it were UTC.
  std::int64_t wall = at;
  if (schedule.utcOffsetMinutes) {
    wall += std::int64_t{*schedule.utcOffsetMinutes} * 60;
  } else {
    std::time_t t = static_cast<std::time_t>(at);
    std::tm local{};
    if (localtime_r(&t, &local) == nullptr) return false;
    wall += local.tm_gmtoff;
  }
  auto day = chr::floor<chr::days>(chr::sys_seconds{chr::seconds{wall}});
  int minute = static_cast<int>((wall - chr::sys_seconds{day}.time_since_epoch().count()) / 60);
  int weekday = static_cast<int>(chr::weekday{day}.iso_encoding()) - 1;  // 0 Monday

  if (!schedule.holidays.empty()) {
    auto date = detail::formatDate(day);
    if (std::find(schedule.holidays.begin(), schedule.holidays.end(), date) !=
        schedule.holidays.end()) {
      return false;
    }
  }
  return std::any_of(schedule.hours.begin(), schedule.hours.end(), [&](const WeeklyHours& h) {
    return h.weekday == weekday && minute >= h.startMinute && minute < h.endMinute;
  });
}

}  // namespace sb::config
