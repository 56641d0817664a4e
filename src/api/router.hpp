#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace sb::api {

// Matches "METHOD /path" against patterns like "/api/v1/users/{id}". A {name} segment matches
// one non-empty path segment; {id} segments must be decimal numbers.
class Router {
 public:
  struct Match {
    enum class Kind { kFound, kNoPath, kWrongMethod } kind = Kind::kNoPath;
    int route = -1;  // index given to add()
    std::vector<std::pair<std::string, std::string>> params;
    std::string allow;  // for kWrongMethod: "GET, POST"
  };

  void add(std::string method, const std::string& pattern, int route);
  Match match(std::string_view method, std::string_view path) const;

 private:
  struct Entry {
    std::string method;
    std::vector<std::string> segments;
    int route;
  };
  static bool matchSegments(const Entry& entry, const std::vector<std::string_view>& path,
                            std::vector<std::pair<std::string, std::string>>* params);
  std::vector<Entry> entries_;
};

// Splits "/a/b/" into {"a", "b"}; empty segments are dropped.
std::vector<std::string_view> splitPath(std::string_view path);

}  // namespace sb::api
