// Raw bytes from a client, through the HTTP parser with the server's limits, then the router,
// the static-file path resolution, the call-list query and the Range header as the server
// applies them.

#include <cstddef>
#include <cstdint>
#include <string_view>

#include <boost/beast/http.hpp>

#include "api/byte_range.hpp"
#include "api/requests.hpp"
#include "api/router.hpp"
#include "api/static_files.hpp"

namespace http = boost::beast::http;

namespace {

sb::api::Router makeRouter() {
  sb::api::Router router;
  int id = 0;
  for (const char* method : {"GET", "POST", "PATCH", "DELETE"}) {
    router.add(method, "/api/v1/users", id++);
    router.add(method, "/api/v1/users/{id}", id++);
    router.add(method, "/api/v1/auth/login", id++);
    router.add(method, "/api/v1/calls/{call}/recording", id++);
  }
  return router;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const sb::api::Router router = makeRouter();
  http::request_parser<http::string_body> parser;
  parser.header_limit(16 * 1024);
  parser.body_limit(64 * 1024);
  parser.eager(true);
  boost::beast::error_code ec;
  parser.put(boost::asio::buffer(data, size), ec);
  if (ec || !parser.is_header_done()) return 0;
  const auto& request = parser.get();
  std::string_view target = request.target();
  auto path = target.substr(0, target.find('?'));
  auto match = router.match(request.method_string(), path);
  if (match.kind == sb::api::Router::Match::Kind::kFound) {
    for (const auto& [name, value] : match.params) {
      if (name == "id" && (value.empty() || value.size() > 18)) __builtin_trap();
    }
  }
  if (auto file = sb::api::resolveStaticPath("/srv/web", path)) {
    // Whatever the request, the file stays under the root.
    auto text = file->lexically_normal().string();
    if (text.rfind("/srv/web/", 0) != 0) __builtin_trap();
  }
  if (auto question = target.find('?'); question != std::string_view::npos) {
    auto query = target.substr(question + 1);
    if (auto filter = sb::api::decodeCallQuery(query)) {
      if (filter->limit < 1 || filter->limit > sb::api::kMaxCallListLimit) __builtin_trap();
    }
    // A query value stored as a file path must not leave the data folder either.
    if (auto file = sb::api::resolveDataFile("/var/sb", query)) {
      auto text = file->lexically_normal().string();
      if (text.rfind("/var/sb/", 0) != 0) __builtin_trap();
    }
  }
  std::string_view range = request[http::field::range];
  for (std::uint64_t size : {std::uint64_t{0}, std::uint64_t{1}, std::uint64_t{1000}}) {
    auto r = sb::api::resolveRange(range, size);
    if (r.kind == sb::api::RangeRequest::Kind::kPartial &&
        (r.range.first > r.range.last || r.range.last >= size)) {
      __builtin_trap();
    }
  }
  return 0;
}
