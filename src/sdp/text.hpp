#pragma once
// Text helpers shared by the SDP sources; not part of the public interface.

#include <charconv>
#include <optional>
#include <string_view>
#include <system_error>
#include <vector>

namespace sb::sdp {

// Loops rather than find_first_of and its kin, which call memchr once per character scanned:
// every SDP line goes through these.
inline bool isBlank(char c) {
  return c == ' ' || c == '\t';
}

// Blanks around values are noise from sloppy writers; a lone CR is what remains of CRLF.
inline std::string_view trim(std::string_view s) {
  auto noise = [](char c) { return isBlank(c) || c == '\r'; };
  while (!s.empty() && noise(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && noise(s.back()))
    s.remove_suffix(1);
  return s;
}

inline char lowerAscii(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

inline bool equalsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (lowerAscii(a[i]) != lowerAscii(b[i])) return false;
  }
  return true;
}

// Fields separated by runs of spaces or tabs; RFC 4566 asks for single spaces, phones vary.
// Into `out` (cleared first), so that a parser reuses one vector for all its lines.
inline void splitBlanks(std::string_view s, std::vector<std::string_view>& out) {
  out.clear();
  std::size_t pos = 0;
  while (pos < s.size()) {
    while (pos < s.size() && isBlank(s[pos]))
      ++pos;
    if (pos == s.size()) break;
    auto start = pos;
    while (pos < s.size() && !isBlank(s[pos]))
      ++pos;
    out.push_back(s.substr(start, pos - start));
  }
}

// Decimal digits only (no sign, no blanks), the whole text, within T: anything else, including
// an overflow, is no number.
template <typename T>
std::optional<T> parseNumber(std::string_view s) {
  if (s.empty() || s.front() < '0' || s.front() > '9') return std::nullopt;
  T value{};
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return value;
}

}  // namespace sb::sdp
