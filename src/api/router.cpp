#include "api/router.hpp"

#include <algorithm>

namespace sb::api {

std::vector<std::string_view> splitPath(std::string_view path) {
  std::vector<std::string_view> out;
  while (!path.empty()) {
    auto slash = path.find('/');
    auto segment = path.substr(0, slash);
    if (!segment.empty()) out.push_back(segment);
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

void Router::add(std::string method, const std::string& pattern, int route) {
  std::vector<std::string> segments;
  for (auto s : splitPath(pattern))
    segments.emplace_back(s);
  entries_.push_back({std::move(method), std::move(segments), route});
}

bool Router::matchSegments(const Entry& entry, const std::vector<std::string_view>& path,
                           std::vector<std::pair<std::string, std::string>>* params) {
  if (entry.segments.size() != path.size()) return false;
  for (std::size_t i = 0; i < path.size(); ++i) {
    const auto& want = entry.segments[i];
    if (want.size() > 2 && want.front() == '{' && want.back() == '}') {
      std::string name = want.substr(1, want.size() - 2);
      if (name == "id" &&
          (path[i].size() > 18 || !std::all_of(path[i].begin(), path[i].end(),
                                               [](char c) { return c >= '0' && c <= '9'; }))) {
        return false;
      }
      if (params) params->emplace_back(std::move(name), std::string(path[i]));
    } else if (want != path[i]) {
      return false;
    }
  }
  return true;
}

Router::Match Router::match(std::string_view method, std::string_view path) const {
  Match result;
  auto segments = splitPath(path);
  for (const auto& entry : entries_) {
    if (!matchSegments(entry, segments, nullptr)) continue;
    if (entry.method == method || (method == "HEAD" && entry.method == "GET")) {
      result.kind = Match::Kind::kFound;
      result.route = entry.route;
      result.params.clear();
      matchSegments(entry, segments, &result.params);
      return result;
    }
    result.kind = Match::Kind::kWrongMethod;
    if (result.allow.find(entry.method) == std::string::npos) {
      if (!result.allow.empty()) result.allow += ", ";
      result.allow += entry.method;
    }
  }
  return result;
}

}  // namespace sb::api
