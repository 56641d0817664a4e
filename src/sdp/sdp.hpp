#pragma once
// Session descriptions (RFC 4566) as plain values: parse() reads what phones and trunks send,
// serialize() writes what we send. The model keeps everything needed to write a description
// back, so parse(serialize(x)) == x for every x that parse() produced.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.hpp"

namespace sb::sdp {

// Outside input is bounded before it is parsed: a SIP body is a few hundred bytes.
inline constexpr std::size_t kMaxSdpBytes = std::size_t{64} * 1024;
inline constexpr std::size_t kMaxMediaSections = 64;
inline constexpr std::size_t kMaxFormats = 256;
inline constexpr std::uint8_t kMaxPayloadType = 127;

enum class Direction { kSendRecv, kSendOnly, kRecvOnly, kInactive };

// "sendrecv", "sendonly", "recvonly", "inactive": the attribute names.
std::string_view directionName(Direction direction);
bool sends(Direction direction);
bool receives(Direction direction);
Direction directionFrom(bool send, bool receive);
// The direction the other side of a stream sees: sendonly <-> recvonly (RFC 3264 §6.1).
Direction mirror(Direction direction);

struct Origin {
  std::string username = "-";
  std::uint64_t sessionId = 0;
  std::uint64_t sessionVersion = 0;
  std::string netType = "IN";
  std::string addrType = "IP4";
  std::string address;
  bool operator==(const Origin&) const = default;
};

struct Connection {
  std::string netType = "IN";
  std::string addrType = "IP4";  // "IP4" or "IP6"
  // As written, so a multicast "224.2.1.1/127" stays whole; unicast is what calls use.
  std::string address;
  bool operator==(const Connection&) const = default;
};

// c=0.0.0.0 (or ::) is the RFC 2543 way of putting a call on hold: send nothing there.
bool isHoldAddress(const Connection& connection);

struct Timing {
  std::uint64_t start = 0;
  std::uint64_t stop = 0;
  bool operator==(const Timing&) const = default;
};

// a=name or a=name:value; value is empty for property attributes.
struct Attribute {
  std::string name;
  std::string value;
  bool operator==(const Attribute&) const = default;
};

// A line the model has no field for (i=, u=, e=, p=, b=, z=, k=, r=, a second t= or c=), kept
// so that serialize() writes it back at its place in the canonical order.
struct Line {
  char type = 0;
  std::string value;
  bool operator==(const Line&) const = default;
};

struct Codec {
  std::uint8_t payloadType = 0;
  std::string encodingName;  // empty for a dynamic payload type without a=rtpmap
  std::uint32_t clockRate = 0;
  std::uint16_t channels = 1;
  std::string fmtp;  // the a=fmtp parameters, e.g. "0-16"
  bool operator==(const Codec&) const = default;
};

// The payload types RFC 3551 assigns statically, which need no a=rtpmap.
std::optional<Codec> staticCodec(std::uint8_t payloadType);
// Same encoding: name compared case-insensitively, same clock rate and channels.
bool sameEncoding(const Codec& a, const Codec& b);
bool isTelephoneEvent(const Codec& codec);
// RTP/AVP, RTP/SAVP, RTP/AVPF, UDP/TLS/RTP/SAVPF, ...: formats are RTP payload types.
bool isRtpProtocol(std::string_view protocol);

struct Rtcp {
  std::uint16_t port = 0;
  std::optional<Connection> connection;
  bool operator==(const Rtcp&) const = default;
};

struct MediaDescription {
  std::string media;  // "audio", "video", ...
  std::uint16_t port = 0;
  std::uint16_t portCount = 1;
  std::string protocol = "RTP/AVP";
  // In m= line order. For RTP protocols these are payload type numbers written canonically
  // ("8", not "008"), each listed once, and codecs holds one entry per format in the same order.
  std::vector<std::string> formats;
  std::vector<Codec> codecs;
  std::optional<Connection> connection;
  // Effective: the media-level attribute, else the session-level one, else sendrecv.
  Direction direction = Direction::kSendRecv;
  std::optional<std::uint32_t> ptime;
  std::optional<Rtcp> rtcp;
  std::vector<Attribute> attributes;  // every other a= line, in order
  std::vector<Line> otherLines;

  bool operator==(const MediaDescription&) const = default;

  const Codec* findCodec(std::uint8_t payloadType) const;
  // Replaces formats and codecs together, which keeps them consistent.
  void setCodecs(std::vector<Codec> newCodecs);
};

struct SessionDescription {
  Origin origin;
  std::string sessionName = "-";
  std::optional<Connection> connection;
  Timing timing;
  Direction direction = Direction::kSendRecv;
  std::vector<Attribute> attributes;  // every other session-level a= line, in order
  std::vector<Line> otherLines;
  std::vector<MediaDescription> media;

  bool operator==(const SessionDescription&) const = default;

  // Where the media of a stream goes: its own c=, else the session's; null when neither.
  const Connection* connectionFor(const MediaDescription& m) const;
};

// Accepts CRLF or LF line ends. Errors are kInvalidArgument with field "sdp" and a message that
// names the line, e.g. "line 5: m= port must be 0-65535".
Result<SessionDescription> parse(std::string_view text);

// CRLF line ends, fields in the order of RFC 4566 §5.
std::string serialize(const SessionDescription& session);

}  // namespace sb::sdp
