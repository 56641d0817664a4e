#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/value.hpp>

#include "core/error.hpp"

namespace sb::api {

// Parses a request body as one JSON object; the error names what is wrong with it.
Result<boost::json::object> parseJsonObject(std::string_view body);

// Reads typed fields out of a JSON object and keeps the first problem found, named by its full
// field path ("settings.initial_state"), so decoders read straight through and check once.
class JsonReader {
 public:
  JsonReader(const boost::json::object& object, std::string prefix, std::optional<Error>& error)
      : object_(object), prefix_(std::move(prefix)), error_(error) {}

  std::optional<std::string> string(std::string_view key, bool required);
  std::optional<bool> boolean(std::string_view key);
  std::optional<std::int64_t> integer(std::string_view key, std::int64_t min, std::int64_t max,
                                      bool required = false);
  // The raw member, or nullptr when absent (null counts as absent).
  const boost::json::value* member(std::string_view key) const;
  // Every member must be one of `known`.
  void onlyKnown(std::initializer_list<std::string_view> known);

  std::string path(std::string_view key) const;
  void fail(std::string field, std::string message);
  bool failed() const { return error_.has_value(); }

 private:
  const boost::json::object& object_;
  std::string prefix_;
  std::optional<Error>& error_;
};

// Length in Unicode code points of valid UTF-8 (Boost.JSON rejects invalid UTF-8 on parse).
std::size_t utf8Length(std::string_view text);

}  // namespace sb::api
