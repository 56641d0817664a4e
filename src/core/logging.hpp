#pragma once

#include <optional>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

namespace sb {

// Parses a configured level name ("trace", "debug", "info", "warn", "error", "off").
std::optional<spdlog::level::level_enum> parseLogLevel(std::string_view name);

// Installs the process-wide logger: one line per event, "key=value" fields after the message.
void setupLogging(spdlog::level::level_enum level);

// Outside input made safe for a log line: control characters escaped, at most `limit` bytes.
std::string loggable(std::string_view text, std::size_t limit = 64);

// Counts broken invariants so that release builds report them in /metrics instead of crashing.
std::uint64_t bugCount();
void reportBug(const char* file, int line, std::string_view what);

}  // namespace sb

// A broken invariant: logged and counted in release builds, fatal in debug builds.
#define SB_BUG(what) ::sb::reportBug(__FILE__, __LINE__, (what))
