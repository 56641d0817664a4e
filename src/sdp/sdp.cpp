#include "sdp/sdp.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <utility>

#include <fmt/format.h>

#include "core/text.hpp"
#include "sdp/text.hpp"

namespace sb::sdp {

namespace {

// RFC 4566 §5 orders the lines of each level; Line::type maps to a rank so that lines kept
// without a field are written back where they belong, and so that parse() stores them in
// that order: a description read out of order then still round-trips.
int sessionRank(char type) {
  switch (type) {
    case 'i':
      return 3;
    case 'u':
      return 4;
    case 'e':
      return 5;
    case 'p':
      return 6;
    case 'c':
      return 7;
    case 'b':
      return 8;
    case 't':
    case 'r':
      return 9;
    case 'z':
      return 10;
    case 'k':
      return 11;
    default:
      return -1;
  }
}

int mediaRank(char type) {
  switch (type) {
    case 'i':
      return 1;
    case 'c':
      return 2;
    case 'b':
      return 3;
    case 'k':
      return 4;
    default:
      return -1;
  }
}

std::optional<Direction> parseDirection(std::string_view name) {
  if (equalsIgnoreCase(name, "sendrecv")) return Direction::kSendRecv;
  if (equalsIgnoreCase(name, "sendonly")) return Direction::kSendOnly;
  if (equalsIgnoreCase(name, "recvonly")) return Direction::kRecvOnly;
  if (equalsIgnoreCase(name, "inactive")) return Direction::kInactive;
  return std::nullopt;
}

std::optional<Connection> parseConnection(const std::vector<std::string_view>& t,
                                          std::size_t first) {
  if (t.size() != first + 3) return std::nullopt;
  return Connection{std::string(t[first]), std::string(t[first + 1]), std::string(t[first + 2])};
}

std::optional<std::uint8_t> parsePayloadType(std::string_view s) {
  auto n = parseNumber<unsigned>(s);
  if (!n || *n > kMaxPayloadType) return std::nullopt;
  return static_cast<std::uint8_t>(*n);
}

// "name:value" of an a= line, still in the text; property attributes have no value.
struct AttributeText {
  std::string_view name;
  std::string_view value;
  Attribute owned() const { return {std::string(name), std::string(value)}; }
};

AttributeText splitAttribute(std::string_view text) {
  auto colon = text.find(':');
  if (colon == std::string_view::npos) return {trim(text), {}};
  return {trim(text.substr(0, colon)), trim(text.substr(colon + 1))};
}

// Splits "<payload type> <rest>" of a=rtpmap and a=fmtp.
std::pair<std::string_view, std::string_view> splitFormat(std::string_view value) {
  auto blank = value.find_first_of(" \t");
  if (blank == std::string_view::npos) return {value, {}};
  return {value.substr(0, blank), trim(value.substr(blank))};
}

class Parser {
 public:
  // Room for the fields of an o= line and a usual m= line, so that the vector grows once.
  Parser() { fields_.reserve(8); }

  Result<SessionDescription> run(std::string_view text) {
    if (text.size() > kMaxSdpBytes) {
      return Error::invalid(
          "sdp", fmt::format("SDP of {} bytes is larger than {} bytes", text.size(), kMaxSdpBytes));
    }
    std::size_t pos = 0;
    bool sawVersion = false;
    while (pos < text.size()) {
      auto end = text.find('\n', pos);
      if (end == std::string_view::npos) end = text.size();
      auto line = trim(text.substr(pos, end - pos));
      pos = end + 1;
      ++line_;
      if (line.empty()) continue;
      if (!sawVersion) {
        if (line.size() < 2 || line[0] != 'v' || line[1] != '=' || trim(line.substr(2)) != "0")
          return fail("an SDP must start with v=0");
        sawVersion = true;
        continue;
      }
      // Lines that are not "<letter>=..." carry nothing we could use: skipped, not fatal.
      if (line.size() < 2 || line[1] != '=') continue;
      char type = line[0];
      auto value = trim(line.substr(2));
      std::optional<Error> error;
      if (type == 'm')
        error = startMedia(value);
      else if (media_)
        error = mediaLine(type, value);
      else
        error = sessionLine(type, value);
      if (error) return std::move(*error);
    }
    if (!sawVersion) return Error::invalid("sdp", "an SDP must start with v=0");
    if (!sawOrigin_) return Error::invalid("sdp", "the o= line is missing");
    if (!sawName_) return Error::invalid("sdp", "the s= line is missing");
    if (!sawTiming_) return Error::invalid("sdp", "the t= line is missing");
    if (!sd_.connection) {
      for (std::size_t i = 0; i < sd_.media.size(); ++i) {
        if (!sd_.media[i].connection) {
          return Error::invalid("sdp", fmt::format("line {}: m= has no c= line and there is no "
                                                   "session-level c= line",
                                                   mediaLines_[i]));
        }
      }
    }
    sortLines(sd_.otherLines, sessionRank);
    for (auto& m : sd_.media)
      sortLines(m.otherLines, mediaRank);
    return std::move(sd_);
  }

 private:
  // The line's blank-separated fields, in a vector every line reuses.
  const std::vector<std::string_view>& fields(std::string_view value) {
    splitBlanks(value, fields_);
    return fields_;
  }

  Error fail(std::string_view message) const {
    return Error::invalid("sdp", fmt::format("line {}: {}", line_, message));
  }

  static void sortLines(std::vector<Line>& lines, int (*rank)(char)) {
    std::stable_sort(lines.begin(), lines.end(),
                     [rank](const Line& a, const Line& b) { return rank(a.type) < rank(b.type); });
  }

  std::optional<Error> sessionLine(char type, std::string_view value) {
    switch (type) {
      case 'v':
        return fail("a second v= line");
      case 'o':
        return origin(value);
      case 's':
        if (sawName_) return fail("a second s= line");
        sawName_ = true;
        sd_.sessionName = std::string(value);
        return std::nullopt;
      case 'c':
        if (sd_.connection) {
          sd_.otherLines.push_back({type, std::string(value)});
          return std::nullopt;
        }
        sd_.connection = parseConnection(fields(value), 0);
        if (!sd_.connection) return fail("c= must be <network type> <address type> <address>");
        return std::nullopt;
      case 't':
        if (sawTiming_) {
          sd_.otherLines.push_back({type, std::string(value)});
          return std::nullopt;
        }
        return timing(value);
      case 'a': {
        auto attribute = splitAttribute(value);
        if (auto direction = parseDirection(attribute.name))
          sd_.direction = *direction;
        else
          sd_.attributes.push_back(attribute.owned());
        return std::nullopt;
      }
      default:
        if (sessionRank(type) >= 0) sd_.otherLines.push_back({type, std::string(value)});
        return std::nullopt;
    }
  }

  std::optional<Error> origin(std::string_view value) {
    if (sawOrigin_) return fail("a second o= line");
    sawOrigin_ = true;
    const auto& t = fields(value);
    if (t.size() != 6) {
      return fail(
          "o= must be <username> <session id> <version> <network type> <address type> <address>");
    }
    auto id = parseNumber<std::uint64_t>(t[1]);
    if (!id) return fail("o= session id must be a number of at most 64 bits");
    auto version = parseNumber<std::uint64_t>(t[2]);
    if (!version) return fail("o= session version must be a number of at most 64 bits");
    sd_.origin = {std::string(t[0]), *id, *version, std::string(t[3]), std::string(t[4]),
                  std::string(t[5])};
    return std::nullopt;
  }

  std::optional<Error> timing(std::string_view value) {
    sawTiming_ = true;
    const auto& t = fields(value);
    if (t.size() != 2) return fail("t= must be <start time> <stop time>");
    auto start = parseNumber<std::uint64_t>(t[0]);
    auto stop = parseNumber<std::uint64_t>(t[1]);
    if (!start || !stop) return fail("t= times must be numbers of at most 64 bits");
    sd_.timing = {*start, *stop};
    return std::nullopt;
  }

  std::optional<Error> startMedia(std::string_view value) {
    if (sd_.media.size() >= kMaxMediaSections)
      return fail(fmt::format("more than {} m= lines", kMaxMediaSections));
    const auto& t = fields(value);
    if (t.size() < 4) return fail("m= must be <media> <port> <protocol> <format>...");
    if (t.size() - 3 > kMaxFormats)
      return fail(fmt::format("m= lists more than {} formats", kMaxFormats));

    // Built in place: a failure below fails the whole parse, which drops it.
    auto& m = sd_.media.emplace_back();
    m.media = std::string(t[0]);
    auto portText = t[1];
    auto slash = portText.find('/');
    auto port = parseNumber<std::uint16_t>(portText.substr(0, slash));
    if (!port) return fail("m= port must be a number 0-65535");
    m.port = *port;
    if (slash != std::string_view::npos) {
      auto count = parseNumber<std::uint16_t>(portText.substr(slash + 1));
      if (!count || *count == 0) return fail("m= port count must be a number 1-65535");
      m.portCount = *count;
    }
    m.protocol = std::string(t[2]);
    m.direction = sd_.direction;

    codecIndex_.fill(-1);
    hasRtpmap_.fill(false);
    hasFmtp_.fill(false);
    rtp_ = isRtpProtocol(m.protocol);
    m.formats.reserve(t.size() - 3);
    if (rtp_) m.codecs.reserve(t.size() - 3);
    for (std::size_t i = 3; i < t.size(); ++i) {
      if (!rtp_) {
        m.formats.emplace_back(t[i]);
        continue;
      }
      auto pt = parsePayloadType(t[i]);
      if (!pt) return fail(fmt::format("m= format {} must be an RTP payload type 0-127", i - 2));
      // A payload type listed twice means nothing more than once; keeping one keeps formats
      // and codecs one to one.
      if (codecIndex_[*pt] >= 0) continue;
      codecIndex_[*pt] = static_cast<int>(m.codecs.size());
      m.formats.push_back(std::to_string(*pt));
      auto known = staticCodec(*pt);
      m.codecs.push_back(known ? std::move(*known) : Codec{*pt});
    }
    media_ = &m;
    mediaLines_.push_back(line_);
    return std::nullopt;
  }

  std::optional<Error> mediaLine(char type, std::string_view value) {
    switch (type) {
      case 'c':
        if (media_->connection) {
          media_->otherLines.push_back({type, std::string(value)});
          return std::nullopt;
        }
        media_->connection = parseConnection(fields(value), 0);
        if (!media_->connection) return fail("c= must be <network type> <address type> <address>");
        return std::nullopt;
      case 'a':
        return mediaAttribute(splitAttribute(value));
      default:
        if (mediaRank(type) >= 0) media_->otherLines.push_back({type, std::string(value)});
        return std::nullopt;
    }
  }

  std::optional<Error> mediaAttribute(AttributeText a) {
    if (auto direction = parseDirection(a.name)) {
      media_->direction = *direction;
      return std::nullopt;
    }
    if (rtp_ && equalsIgnoreCase(a.name, "rtpmap")) return rtpmap(a);
    if (rtp_ && equalsIgnoreCase(a.name, "fmtp")) return fmtp(a);
    if (equalsIgnoreCase(a.name, "ptime")) {
      auto ptime = parseNumber<std::uint32_t>(a.value);
      if (!ptime || *ptime == 0)
        return fail("a=ptime must be a number of milliseconds 1-4294967295");
      media_->ptime = *ptime;
      return std::nullopt;
    }
    if (equalsIgnoreCase(a.name, "rtcp")) return rtcp(a.value);
    media_->attributes.push_back(a.owned());
    return std::nullopt;
  }

  std::optional<Error> rtpmap(AttributeText a) {
    auto [ptText, encoding] = splitFormat(a.value);
    auto pt = parsePayloadType(ptText);
    if (!pt) return fail("a=rtpmap payload type must be a number 0-127");
    // RFC 4566 §6: a mapping for a payload type the m= line does not list is ignored; it is
    // kept as it came so that it is written back unchanged.
    if (codecIndex_[*pt] < 0) {
      media_->attributes.push_back(a.owned());
      return std::nullopt;
    }
    if (hasRtpmap_[*pt]) return fail(fmt::format("a second a=rtpmap for payload type {}", *pt));
    hasRtpmap_[*pt] = true;

    constexpr std::string_view kShape =
        "a=rtpmap must be <payload type> <encoding name>/<clock rate>[/<channels>]";
    if (encoding.empty() || encoding.find_first_of(" \t") != std::string_view::npos)
      return fail(kShape);
    auto slash1 = encoding.find('/');
    if (slash1 == 0 || slash1 == std::string_view::npos) return fail(kShape);
    auto name = encoding.substr(0, slash1);
    auto rest = encoding.substr(slash1 + 1);
    auto slash2 = rest.find('/');
    auto rate = parseNumber<std::uint32_t>(rest.substr(0, slash2));
    if (!rate || *rate == 0) return fail("a=rtpmap clock rate must be a number 1-4294967295");
    std::uint16_t channels = 1;
    if (slash2 != std::string_view::npos) {
      auto n = parseNumber<std::uint16_t>(rest.substr(slash2 + 1));
      if (!n || *n == 0) return fail("a=rtpmap channels must be a number 1-65535");
      channels = *n;
    }
    auto& codec = media_->codecs[static_cast<std::size_t>(codecIndex_[*pt])];
    codec.encodingName = std::string(name);
    codec.clockRate = *rate;
    codec.channels = channels;
    return std::nullopt;
  }

  std::optional<Error> fmtp(AttributeText a) {
    auto [ptText, parameters] = splitFormat(a.value);
    auto pt = parsePayloadType(ptText);
    // Parameters for a format the m= line does not list: kept as they came, like any attribute.
    if (!pt || codecIndex_[*pt] < 0) {
      media_->attributes.push_back(a.owned());
      return std::nullopt;
    }
    if (hasFmtp_[*pt]) return fail(fmt::format("a second a=fmtp for payload type {}", *pt));
    hasFmtp_[*pt] = true;
    media_->codecs[static_cast<std::size_t>(codecIndex_[*pt])].fmtp = std::string(parameters);
    return std::nullopt;
  }

  std::optional<Error> rtcp(std::string_view value) {
    const auto& t = fields(value);
    auto port = t.empty() ? std::nullopt : parseNumber<std::uint16_t>(t[0]);
    if (!port || (t.size() != 1 && t.size() != 4))
      return fail("a=rtcp must be <port> [<network type> <address type> <address>]");
    Rtcp r;
    r.port = *port;
    if (t.size() == 4) r.connection = parseConnection(t, 1);
    media_->rtcp = std::move(r);
    return std::nullopt;
  }

  SessionDescription sd_;
  MediaDescription* media_ = nullptr;  // the section being read; null at session level
  std::vector<std::size_t> mediaLines_;
  std::vector<std::string_view> fields_;
  std::size_t line_ = 0;
  bool sawOrigin_ = false;
  bool sawName_ = false;
  bool sawTiming_ = false;
  bool rtp_ = false;
  std::array<int, kMaxPayloadType + 1> codecIndex_{};
  std::array<bool, kMaxPayloadType + 1> hasRtpmap_{};
  std::array<bool, kMaxPayloadType + 1> hasFmtp_{};
};

void writeLine(std::string& out, char type, std::string_view value) {
  out += type;
  out += '=';
  out += value;
  out += "\r\n";
}

void writeConnection(std::string& out, const Connection& c) {
  appendTo(out, "c=", c.netType, ' ', c.addrType, ' ', c.address, "\r\n");
}

void writeAttribute(std::string& out, std::string_view name, std::string_view value) {
  out += "a=";
  out += name;
  if (!value.empty()) {
    out += ':';
    out += value;
  }
  out += "\r\n";
}

void writeOtherLines(std::string& out, const std::vector<Line>& lines, int (*rank)(char), int from,
                     int to) {
  for (const auto& line : lines) {
    int r = rank(line.type);
    if (r >= from && r <= to) writeLine(out, line.type, line.value);
  }
}

void writeMedia(std::string& out, const MediaDescription& m) {
  appendTo(out, "m=", m.media, ' ', m.port);
  if (m.portCount != 1) appendTo(out, '/', m.portCount);
  appendTo(out, ' ', m.protocol);
  for (const auto& format : m.formats)
    appendTo(out, ' ', format);
  out += "\r\n";
  writeOtherLines(out, m.otherLines, mediaRank, 1, 1);
  if (m.connection) writeConnection(out, *m.connection);
  writeOtherLines(out, m.otherLines, mediaRank, 2, 4);
  for (const auto& codec : m.codecs) {
    if (!codec.encodingName.empty()) {
      appendTo(out, "a=rtpmap:", codec.payloadType, ' ', codec.encodingName, '/', codec.clockRate);
      if (codec.channels != 1) appendTo(out, '/', codec.channels);
      out += "\r\n";
    }
    if (!codec.fmtp.empty()) appendTo(out, "a=fmtp:", codec.payloadType, ' ', codec.fmtp, "\r\n");
  }
  if (m.ptime) appendTo(out, "a=ptime:", *m.ptime, "\r\n");
  if (m.rtcp) {
    appendTo(out, "a=rtcp:", m.rtcp->port);
    if (m.rtcp->connection) {
      const auto& c = *m.rtcp->connection;
      appendTo(out, ' ', c.netType, ' ', c.addrType, ' ', c.address);
    }
    out += "\r\n";
  }
  for (const auto& a : m.attributes)
    writeAttribute(out, a.name, a.value);
  // Always explicit, so that the stream's direction never depends on the session-level default.
  writeAttribute(out, directionName(m.direction), "");
}

}  // namespace

std::string_view directionName(Direction direction) {
  switch (direction) {
    case Direction::kSendRecv:
      return "sendrecv";
    case Direction::kSendOnly:
      return "sendonly";
    case Direction::kRecvOnly:
      return "recvonly";
    case Direction::kInactive:
      return "inactive";
  }
  return "sendrecv";
}

bool sends(Direction direction) {
  return direction == Direction::kSendRecv || direction == Direction::kSendOnly;
}

bool receives(Direction direction) {
  return direction == Direction::kSendRecv || direction == Direction::kRecvOnly;
}

Direction directionFrom(bool send, bool receive) {
  if (send && receive) return Direction::kSendRecv;
  if (send) return Direction::kSendOnly;
  if (receive) return Direction::kRecvOnly;
  return Direction::kInactive;
}

Direction mirror(Direction direction) {
  return directionFrom(receives(direction), sends(direction));
}

bool isHoldAddress(const Connection& connection) {
  return connection.address == "0.0.0.0" || connection.address == "::";
}

std::optional<Codec> staticCodec(std::uint8_t payloadType) {
  struct Entry {
    std::uint8_t payloadType;
    std::string_view name;
    std::uint32_t clockRate;
    std::uint16_t channels;
  };
  // RFC 3551 tables 4 and 5; the reserved and unassigned numbers have no static meaning.
  static constexpr std::array<Entry, 24> kTable{{
      {0, "PCMU", 8000, 1},   {3, "GSM", 8000, 1},    {4, "G723", 8000, 1},
      {5, "DVI4", 8000, 1},   {6, "DVI4", 16000, 1},  {7, "LPC", 8000, 1},
      {8, "PCMA", 8000, 1},   {9, "G722", 8000, 1},   {10, "L16", 44100, 2},
      {11, "L16", 44100, 1},  {12, "QCELP", 8000, 1}, {13, "CN", 8000, 1},
      {14, "MPA", 90000, 1},  {15, "G728", 8000, 1},  {16, "DVI4", 11025, 1},
      {17, "DVI4", 22050, 1}, {18, "G729", 8000, 1},  {25, "CelB", 90000, 1},
      {26, "JPEG", 90000, 1}, {28, "nv", 90000, 1},   {31, "H261", 90000, 1},
      {32, "MPV", 90000, 1},  {33, "MP2T", 90000, 1}, {34, "H263", 90000, 1},
  }};
  for (const auto& e : kTable) {
    if (e.payloadType == payloadType)
      return Codec{e.payloadType, std::string(e.name), e.clockRate, e.channels, {}};
  }
  return std::nullopt;
}

bool sameEncoding(const Codec& a, const Codec& b) {
  return !a.encodingName.empty() && equalsIgnoreCase(a.encodingName, b.encodingName) &&
         a.clockRate == b.clockRate && a.channels == b.channels;
}

bool isTelephoneEvent(const Codec& codec) {
  return equalsIgnoreCase(codec.encodingName, "telephone-event");
}

bool isRtpProtocol(std::string_view protocol) {
  for (std::size_t i = 0; i + 4 <= protocol.size(); ++i) {
    if (equalsIgnoreCase(protocol.substr(i, 4), "RTP/")) return true;
  }
  return false;
}

const Codec* MediaDescription::findCodec(std::uint8_t payloadType) const {
  for (const auto& codec : codecs) {
    if (codec.payloadType == payloadType) return &codec;
  }
  return nullptr;
}

void MediaDescription::setCodecs(std::vector<Codec> newCodecs) {
  codecs = std::move(newCodecs);
  formats.clear();
  formats.reserve(codecs.size());
  for (const auto& codec : codecs)
    formats.push_back(std::to_string(codec.payloadType));
}

const Connection* SessionDescription::connectionFor(const MediaDescription& m) const {
  if (m.connection) return &*m.connection;
  if (connection) return &*connection;
  return nullptr;
}

Result<SessionDescription> parse(std::string_view text) {
  return Parser().run(text);
}

std::string serialize(const SessionDescription& sd) {
  std::string out;
  out.reserve(256 + sd.media.size() * 256);
  writeLine(out, 'v', "0");
  const auto& o = sd.origin;
  appendTo(out, "o=", o.username, ' ', o.sessionId, ' ', o.sessionVersion, ' ', o.netType, ' ',
           o.addrType, ' ', o.address, "\r\n");
  // RFC 4566 §5.3: a single space when the session has no meaningful name.
  writeLine(out, 's', sd.sessionName.empty() ? std::string_view(" ") : sd.sessionName);
  writeOtherLines(out, sd.otherLines, sessionRank, 3, 6);
  if (sd.connection) writeConnection(out, *sd.connection);
  writeOtherLines(out, sd.otherLines, sessionRank, 7, 8);
  appendTo(out, "t=", sd.timing.start, ' ', sd.timing.stop, "\r\n");
  writeOtherLines(out, sd.otherLines, sessionRank, 9, 11);
  if (sd.direction != Direction::kSendRecv) writeAttribute(out, directionName(sd.direction), "");
  for (const auto& a : sd.attributes)
    writeAttribute(out, a.name, a.value);
  for (const auto& m : sd.media)
    writeMedia(out, m);
  return out;
}

}  // namespace sb::sdp
