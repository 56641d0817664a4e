#include "api/json_reader.hpp"

#include <boost/json.hpp>
#include <fmt/format.h>

namespace sb::api {

namespace json = boost::json;

Result<json::object> parseJsonObject(std::string_view body) {
  if (body.empty()) return Error::invalid("", "the request body must be a JSON object");
  json::parse_options options;
  options.max_depth = 16;
  boost::system::error_code ec;
  json::value value = json::parse(body, ec, {}, options);
  if (ec) return Error::invalid("", fmt::format("malformed JSON: {}", ec.message()));
  if (!value.is_object()) return Error::invalid("", "the request body must be a JSON object");
  return std::move(value.as_object());
}

std::string JsonReader::path(std::string_view key) const {
  return prefix_.empty() ? std::string(key) : prefix_ + "." + std::string(key);
}

void JsonReader::fail(std::string field, std::string message) {
  if (!error_) error_ = Error::invalid(std::move(field), std::move(message));
}

const json::value* JsonReader::member(std::string_view key) const {
  const auto* v = object_.if_contains(key);
  if (v == nullptr || v->is_null()) return nullptr;
  return v;
}

std::optional<std::string> JsonReader::string(std::string_view key, bool required) {
  const auto* v = member(key);
  if (v == nullptr) {
    if (required) fail(path(key), fmt::format("{} is required", path(key)));
    return std::nullopt;
  }
  if (!v->is_string()) {
    fail(path(key), fmt::format("{} must be a string", path(key)));
    return std::nullopt;
  }
  return std::string(v->as_string());
}

std::optional<bool> JsonReader::boolean(std::string_view key) {
  const auto* v = member(key);
  if (v == nullptr) return std::nullopt;
  if (!v->is_bool()) {
    fail(path(key), fmt::format("{} must be true or false", path(key)));
    return std::nullopt;
  }
  return v->as_bool();
}

std::optional<std::int64_t> JsonReader::integer(std::string_view key, std::int64_t min,
                                                std::int64_t max, bool required) {
  const auto* v = member(key);
  if (v == nullptr) {
    if (required) fail(path(key), fmt::format("{} is required", path(key)));
    return std::nullopt;
  }
  std::optional<std::int64_t> n;
  if (v->is_int64()) n = v->as_int64();
  if (v->is_uint64() && v->as_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
    n = static_cast<std::int64_t>(v->as_uint64());
  }
  if (!n || *n < min || *n > max) {
    fail(path(key), fmt::format("{} must be an integer from {} to {}", path(key), min, max));
    return std::nullopt;
  }
  return n;
}

void JsonReader::onlyKnown(std::initializer_list<std::string_view> known) {
  for (const auto& [key, value] : object_) {
    bool ok = false;
    for (auto k : known)
      ok = ok || k == key;
    if (!ok) {
      fail(path(key), fmt::format("unknown field {}", path(key)));
      return;
    }
  }
}

std::size_t utf8Length(std::string_view text) {
  std::size_t n = 0;
  for (unsigned char c : text)
    n += (c & 0xC0) != 0x80;
  return n;
}

}  // namespace sb::api
