#pragma once

// The inbound-routing arrays of tables ([[queues]], [[schedules]], [[flows]], [[numbers]]).
// Internal to sb_config: parseConfig calls these; other code reads the parsed Config.

#include <string>
#include <string_view>

#include <toml++/toml.h>

#include "config/config.hpp"
#include "core/error.hpp"

namespace sb::config::detail {

// Whether `section` is "queues", "schedules", "flows" or "numbers".
bool isRoutingArray(std::string_view section);

// Reads one of those arrays into `config`: each table checked on its own (required keys, values,
// node references inside a flow, duplicates).
Result<void> parseRoutingArray(Config& config, const std::string& section, const toml::node& node);

// Checks what links the sections, once all are read: a flow node's schedule, a number's flow.
Result<void> checkRoutingReferences(const Config& config);

// A prompt name: [A-Za-z0-9._-]+, neither "." nor containing "..".
bool isPromptName(std::string_view name);

}  // namespace sb::config::detail
