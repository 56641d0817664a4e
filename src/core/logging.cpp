#include "core/logging.hpp"

#include <atomic>
#include <cstdlib>

#include <fmt/format.h>
#include <spdlog/sinks/stdout_sinks.h>

namespace sb {

namespace {
std::atomic<std::uint64_t> gBugs{0};
}

std::optional<spdlog::level::level_enum> parseLogLevel(std::string_view name) {
  using spdlog::level::level_enum;
  if (name == "trace") return level_enum::trace;
  if (name == "debug") return level_enum::debug;
  if (name == "info") return level_enum::info;
  if (name == "warn" || name == "warning") return level_enum::warn;
  if (name == "error") return level_enum::err;
  if (name == "critical") return level_enum::critical;
  if (name == "off") return level_enum::off;
  return std::nullopt;
}

void setupLogging(spdlog::level::level_enum level) {
  auto logger = spdlog::stdout_logger_mt("switchboard");
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %-5l %v");
  logger->set_level(level);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(logger);
}

std::string loggable(std::string_view text, std::size_t limit) {
  std::string out;
  for (unsigned char c : text.substr(0, limit)) {
    if (c < 0x20 || c == 0x7f || c == '"' || c == '\\') {
      out += fmt::format("\\x{:02x}", c);
    } else {
      out.push_back(static_cast<char>(c));
    }
  }
  if (text.size() > limit) out += "...";
  return out;
}

std::uint64_t bugCount() {
  return gBugs.load(std::memory_order_relaxed);
}

void reportBug(const char* file, int line, std::string_view what) {
  gBugs.fetch_add(1, std::memory_order_relaxed);
  spdlog::error("bug: {} file={} line={}", what, file, line);
#ifndef NDEBUG
  spdlog::default_logger()->flush();
  std::abort();
#endif
}

}  // namespace sb
