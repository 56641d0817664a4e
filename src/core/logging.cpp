#include "core/logging.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>

#include <fmt/format.h>
#include <spdlog/sinks/base_sink.h>

namespace sb {

namespace {

std::atomic<std::uint64_t> gBugs{0};

// Standard output as the C library buffers it (in blocks into a pipe or file, by line on a
// terminal), flushed when the logger says so: spdlog's own stdout sink flushes every line.
class StdoutSink final : public spdlog::sinks::base_sink<std::mutex> {
 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t line;
    formatter_->format(msg, line);
    std::fwrite(line.data(), 1, line.size(), stdout);
  }
  void flush_() override { std::fflush(stdout); }
};

}  // namespace

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
  auto logger = std::make_shared<spdlog::logger>("switchboard", std::make_shared<StdoutSink>());
  logger->set_pattern("%Y-%m-%dT%H:%M:%S.%e%z %-5l %v");
  logger->set_level(level);
  // At debug level someone is watching the lines as they come, and each is written at once.
  // Otherwise lines go out in blocks, at least once a second and at once from a warning up: at a
  // thousand calls a second, a write() for every call's line was 3 % of the control loop.
  logger->flush_on(level <= spdlog::level::debug ? level : spdlog::level::warn);
  spdlog::set_default_logger(logger);
  spdlog::flush_every(std::chrono::seconds(1));
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
