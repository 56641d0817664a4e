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
inline bool isTokenChar(char c) {
  if (isAlpha(c) || isDigit(c)) return true;
  switch (c) {
    case '-':
    case '.':
    case '!':
    case '%':
    case '*':
    case '_':
    case '+':
    case '`':
    case '\'':
    case '~':
      return true;
    default:
      return false;
  }
}

inline char asciiLower(char c) {
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
