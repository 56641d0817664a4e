#pragma once
// Character classes and small helpers of the SIP grammar (RFC 3261 §25.1).

#include <string_view>

namespace sb::sip {

inline bool isDigit(char c) {
  return c >= '0' && c <= '9';
}
inline bool isAlpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
inline bool isWsp(char c) {
  return c == ' ' || c == '\t';
}

// token = 1*(alphanum / "-" / "." / "!" / "%" / "*" / "_" / "+" / "`" / "'" / "~")
namespace detail {
struct TokenTable {
  bool token[256] = {};
  constexpr TokenTable() {
    for (int c = '0'; c <= '9'; ++c)
      token[c] = true;
    for (int c = 'a'; c <= 'z'; ++c)
      token[c] = true;
    for (int c = 'A'; c <= 'Z'; ++c)
      token[c] = true;
    for (char c : std::string_view("-.!%*_+`'~"))
      token[static_cast<unsigned char>(c)] = true;
  }
};
inline constexpr TokenTable kTokenTable{};
}  // namespace detail

inline bool isTokenChar(char c) {
  return detail::kTokenTable.token[static_cast<unsigned char>(c)];
}

constexpr char asciiLower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c + 32) : c;
}

inline bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (asciiLower(a[i]) != asciiLower(b[i])) return false;
  }
  return true;
}

inline std::string_view trimWsp(std::string_view s) {
  while (!s.empty() && isWsp(s.front()))
    s.remove_prefix(1);
  while (!s.empty() && isWsp(s.back()))
    s.remove_suffix(1);
  return s;
}

}  // namespace sb::sip
