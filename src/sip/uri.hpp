#pragma once
// URIs in SIP messages (RFC 3261 §19.1): sip:, sips:, tel: and others kept opaque.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace sb::sip {

// Views into the text it was parsed from: keep that text alive.
struct Uri {
  std::string_view scheme;  // as written; compare with iequals
  std::string_view user;    // still %-escaped
  std::string_view password;
  std::string_view host;  // IPv6 references keep their brackets
  std::optional<std::uint16_t> port;
  std::string_view params;   // after the first ';', without it: "transport=tcp;lr"
  std::string_view headers;  // after '?', without it
  std::string_view opaque;   // everything after "scheme:" for non-SIP schemes

  bool isSip() const;  // sip: or sips:
  // A uri-parameter's value; an empty view for a parameter without value; nullopt if absent.
  std::optional<std::string_view> param(std::string_view name) const;
};

Result<Uri> parseUri(std::string_view text);

// Decodes %HH escapes (RFC 3261 §19.1.2); nullopt for a malformed escape.
std::optional<std::string> unescape(std::string_view text);

// RFC 3261 §19.1.4 comparison of the parts Switchboard relies on: scheme, user, password,
// host (case-insensitive), port, and the transport/user/ttl/method/maddr parameters.
bool sameUri(const Uri& a, const Uri& b);

}  // namespace sb::sip
