#include "store/legs_json.hpp"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <iterator>
#include <limits>

#include <fmt/format.h>

#include "core/text.hpp"

namespace sb::store {

namespace {

bool needsEscape(char c) {
  return c == '"' || c == '\\' || static_cast<unsigned char>(c) < 0x20;
}

// Runs of plain characters are appended whole: numbers, SIP Call-IDs and roles have none to
// escape.
void appendString(std::string& out, std::string_view text) {
  out += '"';
  std::size_t plain = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (!needsEscape(c)) continue;
    out.append(text.data() + plain, i - plain);
    plain = i + 1;
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else {
      fmt::format_to(std::back_inserter(out), "\\u{:04x}", static_cast<unsigned>(c));
    }
  }
  out.append(text.data() + plain, text.size() - plain);
  out += '"';
}

// The shortest text that reads back as the same double. JSON has no NaN or infinity: they are
// written as null and read back as 0, as a REAL column holding NULL reads.
void appendNumber(std::string& out, double value) {
  if (std::isfinite(value)) {
    fmt::format_to(std::back_inserter(out), "{}", value);
  } else {
    out += "null";
  }
}

void appendUtf8(std::string& out, std::uint32_t code) {
  if (code < 0x80) {
    out += static_cast<char>(code);
  } else if (code < 0x800) {
    out += static_cast<char>(0xC0 | (code >> 6));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else if (code < 0x10000) {
    out += static_cast<char>(0xE0 | (code >> 12));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (code >> 18));
    out += static_cast<char>(0x80 | ((code >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (code & 0x3F));
  }
}

class LegsReader {
 public:
  explicit LegsReader(std::string_view text) : text_(text) {}

  Result<std::vector<CallLegRecord>> read() {
    std::vector<CallLegRecord> legs;
    if (!expect('[')) return failure();
    if (!peek(']')) {
      do {
        legs.emplace_back();
        if (!readLeg(legs.back())) return failure();
      } while (take(','));
    }
    if (!expect(']')) return failure();
    skipBlanks();
    if (at_ != text_.size()) return failure("text after the array");
    return legs;
  }

 private:
  static constexpr int kMaxDepth = 32;

  bool readLeg(CallLegRecord& leg) {
    if (!expect('{')) return false;
    if (take('}')) return true;
    do {
      std::string key;
      if (!readString(key) || !expect(':')) return false;
      if (!readField(key, leg)) return false;
    } while (take(','));
    return expect('}');
  }

  bool readField(const std::string& key, CallLegRecord& leg) {
    if (key == "role") return readText(leg.role);
    if (key == "party") return readText(leg.party);
    if (key == "sip_call_id") return readText(leg.sipCallId);
    if (key == "started_at") return readInteger(leg.startedAt);
    if (key == "answered_at") return readInteger(leg.answeredAt);
    if (key == "ended_at") return readInteger(leg.endedAt);
    if (key == "mos") return readDouble(leg.mos);
    if (key == "jitter_ms") return readDouble(leg.jitterMs);
    std::int64_t number = 0;
    if (key == "sip_status") {
      if (!readInteger(number)) return false;
      if (number < std::numeric_limits<int>::min() || number > std::numeric_limits<int>::max())
        return fail("sip_status out of range");
      leg.sipStatus = static_cast<int>(number);
      return true;
    }
    if (key == "packets_received" || key == "packets_lost") {
      if (!readInteger(number)) return false;
      // Counts beyond SQLite's signed integers went round through them, as in integer columns.
      (key == "packets_lost" ? leg.packetsLost : leg.packetsReceived) =
          static_cast<std::uint64_t>(number);
      return true;
    }
    return skipValue(0);
  }

  // A string, or null for an empty one.
  bool readText(std::string& out) {
    if (takeWord("null")) {
      out.clear();
      return true;
    }
    return readString(out);
  }

  bool readString(std::string& out) {
    if (!expect('"')) return false;
    out.clear();
    while (at_ < text_.size()) {
      char c = text_[at_++];
      if (c == '"') return true;
      if (static_cast<unsigned char>(c) < 0x20) return fail("control character in a string");
      if (c != '\\') {
        out += c;
        continue;
      }
      if (at_ == text_.size()) break;
      char escape = text_[at_++];
      switch (escape) {
        case '"':
        case '\\':
        case '/':
          out += escape;
          break;
        case 'b':
          out += '\b';
          break;
        case 'f':
          out += '\f';
          break;
        case 'n':
          out += '\n';
          break;
        case 'r':
          out += '\r';
          break;
        case 't':
          out += '\t';
          break;
        case 'u': {
          std::uint32_t code = 0;
          if (!readHex4(code)) return false;
          if (code >= 0xD800 && code < 0xDC00) {
            std::uint32_t low = 0;
            if (!take('\\') || !take('u') || !readHex4(low) || low < 0xDC00 || low >= 0xE000)
              return fail("unpaired surrogate");
            code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
          } else if (code >= 0xDC00 && code < 0xE000) {
            return fail("unpaired surrogate");
          }
          appendUtf8(out, code);
          break;
        }
        default:
          return fail("unknown escape");
      }
    }
    return fail("unterminated string");
  }

  bool readHex4(std::uint32_t& code) {
    if (text_.size() - at_ < 4) return fail("short \\u escape");
    auto digits = text_.substr(at_, 4);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + 4, code, 16);
    if (ec != std::errc{} || end != digits.data() + 4) return fail("bad \\u escape");
    at_ += 4;
    return true;
  }

  // The characters of a number, checked by from_chars.
  std::string_view numberText() {
    skipBlanks();
    auto start = at_;
    while (at_ < text_.size() &&
           std::string_view("+-.eE0123456789").find(text_[at_]) != std::string_view::npos) {
      ++at_;
    }
    return text_.substr(start, at_ - start);
  }

  bool readInteger(std::int64_t& out) {
    if (takeWord("null")) {
      out = 0;
      return true;
    }
    auto text = numberText();
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    if (ec == std::errc{} && end == text.data() + text.size() && !text.empty()) return true;
    // A whole number written as a double, e.g. by an edit through SQL.
    double value = 0;
    if (!parseDouble(text, value) || value != std::floor(value) || value < -0x1p63 ||
        value >= 0x1p63) {
      return fail("not an integer");
    }
    out = static_cast<std::int64_t>(value);
    return true;
  }

  bool readDouble(double& out) {
    if (takeWord("null")) {
      out = 0;
      return true;
    }
    return parseDouble(numberText(), out) || fail("not a number");
  }

  static bool parseDouble(std::string_view text, double& out) {
    auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
    return ec == std::errc{} && end == text.data() + text.size() && !text.empty();
  }

  // Any JSON value, under a key this version does not know.
  bool skipValue(int depth) {
    if (depth > kMaxDepth) return fail("nested too deeply");
    skipBlanks();
    if (peek('"')) {
      std::string ignored;
      return readString(ignored);
    }
    if (take('[') || take('{')) {
      bool object = text_[at_ - 1] == '{';
      char close = object ? '}' : ']';
      if (take(close)) return true;
      do {
        if (object) {
          std::string key;
          if (!readString(key) || !expect(':')) return false;
        }
        if (!skipValue(depth + 1)) return false;
      } while (take(','));
      return expect(close);
    }
    if (takeWord("null") || takeWord("true") || takeWord("false")) return true;
    double ignored = 0;
    return parseDouble(numberText(), ignored) || fail("not a JSON value");
  }

  void skipBlanks() {
    while (at_ < text_.size() &&
           (text_[at_] == ' ' || text_[at_] == '\t' || text_[at_] == '\n' || text_[at_] == '\r')) {
      ++at_;
    }
  }

  bool peek(char c) {
    skipBlanks();
    return at_ < text_.size() && text_[at_] == c;
  }

  bool take(char c) {
    if (!peek(c)) return false;
    ++at_;
    return true;
  }

  bool takeWord(std::string_view word) {
    skipBlanks();
    if (text_.substr(at_, word.size()) != word) return false;
    at_ += word.size();
    return true;
  }

  bool expect(char c) { return take(c) || fail(fmt::format("expected '{}'", c)); }

  bool fail(std::string message) {
    if (error_.empty()) error_ = fmt::format("{} at byte {}", message, at_);
    return false;
  }

  Error failure(std::string message = {}) {
    if (!message.empty()) fail(std::move(message));
    return Error::invalid("legs", "malformed legs: " + error_);
  }

  std::string_view text_;
  std::size_t at_ = 0;
  std::string error_;
};

}  // namespace

std::string legsToJson(const std::vector<CallLegRecord>& legs) {
  std::string out;
  out.reserve(2 + legs.size() * 320);  // a leg's keys and values, with room to spare
  out += '[';
  for (const auto& leg : legs) {
    if (out.size() > 1) out += ',';
    out += "{\"role\":";
    appendString(out, leg.role);
    out += ",\"party\":";
    appendString(out, leg.party);
    out += ",\"sip_call_id\":";
    appendString(out, leg.sipCallId);
    appendTo(out, ",\"started_at\":", leg.startedAt, ",\"answered_at\":", leg.answeredAt,
             ",\"ended_at\":", leg.endedAt, ",\"sip_status\":", leg.sipStatus, ",\"mos\":");
    appendNumber(out, leg.mos);
    // SQLite's integers are signed: larger counts go round through them, as in integer columns.
    appendTo(out, ",\"packets_received\":", static_cast<std::int64_t>(leg.packetsReceived),
             ",\"packets_lost\":", static_cast<std::int64_t>(leg.packetsLost), ",\"jitter_ms\":");
    appendNumber(out, leg.jitterMs);
    out += '}';
  }
  out += ']';
  return out;
}

Result<std::vector<CallLegRecord>> legsFromJson(std::string_view json) {
  return LegsReader(json).read();
}

}  // namespace sb::store
