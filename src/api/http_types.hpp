#pragma once
// HTTP requests and responses as the API sees them: plain values, independent of Beast.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.hpp"

namespace sb::api {

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string path;    // the target without its query, still percent-encoded
  std::string query;
  std::string authorization;
  std::string range;  // the Range header, for downloads
  std::string body;
  std::string remoteAddress;
  // Path parameters filled by the router, e.g. {"id", "7"}.
  std::vector<std::pair<std::string, std::string>> params;

  std::string_view param(std::string_view name) const;
};

// A body read as it is sent, a chunk at a time, rather than held whole (a recording runs to
// tens of MB, and several may be downloaded at once).
struct BodySource {
  std::uint64_t length = 0;
  // The next bytes in order, at most `max`; empty when the source fails before `length` (the
  // file shrank). Blocks: the server calls it off the loop.
  std::function<std::string(std::size_t max)> next;
};

struct Response {
  int status = 200;
  std::string body;
  std::string contentType = "application/json";
  std::vector<std::pair<std::string, std::string>> headers;
  std::optional<BodySource> source;  // instead of `body`

  static Response json(int status, std::string body);
  static Response noContent() { return {204, {}, {}, {}}; }
};

// {"error": {"code": ..., "message": ..., "field": ...}} with the given status.
Response errorResponse(int status, std::string_view code, std::string_view message,
                       std::string_view field = {});
// The status and body an expected failure maps to (invalid_argument -> 400, not_found -> 404...).
Response errorResponse(const Error& error);

}  // namespace sb::api
