#pragma once

#include <string>
#include <string_view>

namespace sb::sdp {

// Test descriptions are written with \n; phones send \r\n.
inline std::string crlf(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '\n') out += '\r';
    out += c;
  }
  return out;
}

}  // namespace sb::sdp
