#pragma once

// Typed values from toml++ nodes, with errors that name the key. Internal to sb_config: shared
// by config.cpp and routing.cpp, not part of the subsystem's interface.

#include <cstdint>
#include <string>
#include <string_view>

#include <fmt/format.h>
#include <toml++/toml.h>

#include "core/error.hpp"

namespace sb::config::detail {

inline Error badType(const std::string& key, std::string_view expected) {
  return Error::invalid(key, fmt::format("{} must be {}", key, expected));
}

inline Result<std::int64_t> readInt(const toml::node& node, const std::string& key,
                                    std::int64_t min, std::int64_t max) {
  auto v = node.value<std::int64_t>();
  if (!node.is_integer() || !v) return badType(key, "an integer");
  if (*v < min || *v > max) {
    return Error::invalid(key,
                          fmt::format("{} must be between {} and {}, not {}", key, min, max, *v));
  }
  return *v;
}

inline Result<std::string> readString(const toml::node& node, const std::string& key) {
  if (!node.is_string()) return badType(key, "a string");
  return *node.value<std::string>();
}

inline Result<bool> readBool(const toml::node& node, const std::string& key) {
  if (!node.is_boolean()) return badType(key, "true or false");
  return *node.value<bool>();
}

}  // namespace sb::config::detail
