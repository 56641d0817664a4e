#pragma once

#include <charconv>
#include <concepts>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace sb {

// Decodes %HH escapes (URLs, SIP URIs); nullopt for a malformed escape. Decoded NULs are kept:
// callers that cannot hold them check for them.
std::optional<std::string> percentDecode(std::string_view text);

namespace detail {

template <typename Part>
void appendPart(std::string& out, const Part& part) {
  if constexpr (std::is_same_v<Part, char>) {
    out += part;
  } else if constexpr (std::integral<Part>) {
    char digits[24];
    auto end = std::to_chars(digits, digits + sizeof digits, part).ptr;
    out.append(digits, end);
  } else {
    out += std::string_view(part);
  }
}

template <typename Part>
std::size_t partSize(const Part& part) {
  if constexpr (std::is_same_v<Part, char>) {
    return 1;
  } else if constexpr (std::integral<Part>) {
    return 20;
  } else {
    return std::string_view(part).size();
  }
}

}  // namespace detail

// Text and numbers (a char is a character, any other integer a decimal number) appended as they
// are: what the SIP and SDP writers use instead of format strings, which cost more than the
// message they build when a call takes some thirty of them.
template <typename... Parts>
void appendTo(std::string& out, const Parts&... parts) {
  out.reserve(out.size() + (detail::partSize(parts) + ... + 0));
  (detail::appendPart(out, parts), ...);
}

template <typename... Parts>
std::string concat(const Parts&... parts) {
  std::string out;
  appendTo(out, parts...);
  return out;
}

}  // namespace sb
