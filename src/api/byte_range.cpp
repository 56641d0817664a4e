#include "api/byte_range.hpp"

#include <algorithm>
#include <cctype>
#include <limits>
#include <optional>

#include <fmt/format.h>

namespace sb::api {

namespace {

constexpr std::uint64_t kHuge = std::numeric_limits<std::uint64_t>::max();

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
    s.remove_suffix(1);
  return s;
}

// Decimal digits; a value too large for 64 bits saturates (it is past any real file's end).
std::optional<std::uint64_t> number(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::uint64_t value = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    auto digit = static_cast<std::uint64_t>(c - '0');
    value = value > (kHuge - digit) / 10 ? kHuge : value * 10 + digit;
  }
  return value;
}

bool startsWithBytesUnit(std::string_view header) {
  constexpr std::string_view kUnit = "bytes=";
  if (header.size() < kUnit.size()) return false;
  for (std::size_t i = 0; i < kUnit.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(header[i])) != kUnit[i]) return false;
  }
  return true;
}

}  // namespace

RangeRequest resolveRange(std::string_view header, std::uint64_t size) {
  RangeRequest whole;
  header = trim(header);
  if (!startsWithBytesUnit(header)) return whole;
  auto spec = trim(header.substr(6));
  if (spec.find(',') != std::string_view::npos) return whole;
  auto dash = spec.find('-');
  if (dash == std::string_view::npos) return whole;
  auto firstText = trim(spec.substr(0, dash));
  auto lastText = trim(spec.substr(dash + 1));

  RangeRequest out;
  out.kind = RangeRequest::Kind::kPartial;
  if (firstText.empty()) {
    // bytes=-n: the last n bytes.
    auto suffix = number(lastText);
    if (!suffix) return whole;
    if (*suffix == 0 || size == 0) return {RangeRequest::Kind::kUnsatisfiable, {}};
    out.range = {size - std::min(*suffix, size), size - 1};
    return out;
  }
  auto first = number(firstText);
  if (!first) return whole;
  std::uint64_t last = kHuge;
  if (!lastText.empty()) {
    auto parsed = number(lastText);
    if (!parsed || *parsed < *first) return whole;
    last = *parsed;
  }
  if (*first >= size) return {RangeRequest::Kind::kUnsatisfiable, {}};
  out.range = {*first, std::min(last, size - 1)};
  return out;
}

std::string contentRange(const ByteRange& range, std::uint64_t size) {
  return fmt::format("bytes {}-{}/{}", range.first, range.last, size);
}

}  // namespace sb::api
