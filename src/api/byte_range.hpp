#pragma once
// HTTP Range requests (RFC 9110 §14) for downloads such as recordings: one byte range.

#include <cstdint>
#include <string>
#include <string_view>

namespace sb::api {

struct ByteRange {
  std::uint64_t first = 0;
  std::uint64_t last = 0;  // inclusive
  std::uint64_t length() const { return last - first + 1; }
};

// What a Range header asks of a resource of `size` bytes.
struct RangeRequest {
  enum class Kind {
    kWhole,          // no Range, another unit, a malformed or multi-range header: 200
    kPartial,        // `range`, clamped to the resource: 206
    kUnsatisfiable,  // 416 with "Content-Range: bytes */size"
  };
  Kind kind = Kind::kWhole;
  ByteRange range;
};

// Reads "bytes=a-b", "bytes=a-" and "bytes=-n". A header the server cannot use is ignored as
// RFC 9110 allows (the whole resource is sent), and so are several ranges.
RangeRequest resolveRange(std::string_view header, std::uint64_t size);

// "bytes 0-99/1000".
std::string contentRange(const ByteRange& range, std::uint64_t size);

}  // namespace sb::api
