#include "core/logging.hpp"

#include <string>

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/wait.h>
#include <unistd.h>

namespace sb {
namespace {

TEST(LoggableTest, ControlCharactersAndQuotesAreEscaped) {
  EXPECT_EQ(loggable("1001\n2026-01-01 info forged line"), "1001\\x0a2026-01-01 info forged line");
  EXPECT_EQ(loggable("a\"b\\c"), "a\\x22b\\x5cc");
  EXPECT_EQ(loggable("温平"), "温平");
}

TEST(LoggableTest, LongInputIsCut) {
  EXPECT_EQ(loggable(std::string(100, 'a'), 10), "aaaaaaaaaa...");
}

TEST(LogLevelTest, KnownNamesParseOthersDoNot) {
  EXPECT_EQ(parseLogLevel("debug"), spdlog::level::debug);
  EXPECT_EQ(parseLogLevel("warning"), spdlog::level::warn);
  EXPECT_FALSE(parseLogLevel("loud"));
}

// The server's log in a child process whose standard output is a pipe, as under systemd or a
// container runtime. The child logs what `script` says, one step per byte the test sends, and
// answers each step with a byte once it has logged. It leaves with _exit: nothing is flushed on
// the way out, so what the pipe holds is what the logger wrote.
class LogPipe {
 public:
  explicit LogPipe(spdlog::level::level_enum level) {
    int out[2], go[2], done[2];
    if (::pipe(out) != 0 || ::pipe(go) != 0 || ::pipe(done) != 0) throw std::runtime_error("pipe");
    child_ = ::fork();
    if (child_ == 0) {
      ::close(out[0]);
      ::close(go[1]);
      ::close(done[0]);
      ::dup2(out[1], STDOUT_FILENO);
      setupLogging(level);
      char step = 0;
      while (::read(go[0], &step, 1) == 1) {
        if (step == 'i') spdlog::info("an info line");
        if (step == 'd') spdlog::debug("a debug line");
        if (step == 'w') spdlog::warn("a warning");
        (void)!::write(done[1], &step, 1);
      }
      ::_exit(0);
    }
    ::close(out[1]);
    ::close(go[0]);
    ::close(done[1]);
    out_ = out[0];
    go_ = go[1];
    done_ = done[0];
  }
  ~LogPipe() {
    ::close(go_);
    ::waitpid(child_, nullptr, 0);
    ::close(out_);
    ::close(done_);
  }

  void log(char step) {
    ASSERT_EQ(::write(go_, &step, 1), 1);
    char answer = 0;
    ASSERT_EQ(::read(done_, &answer, 1), 1);
  }
  // What the pipe holds now, or after waiting up to `timeoutMs` for something to arrive.
  std::string read(int timeoutMs = 0) {
    std::string text;
    pollfd p{out_, POLLIN, 0};
    while (::poll(&p, 1, text.empty() ? timeoutMs : 0) == 1) {
      char buffer[4096];
      auto n = ::read(out_, buffer, sizeof buffer);
      if (n <= 0) break;
      text.append(buffer, static_cast<std::size_t>(n));
    }
    return text;
  }

 private:
  pid_t child_ = -1;
  int out_ = -1, go_ = -1, done_ = -1;
};

TEST(LogOutputTest, AWarningIsWrittenAtOnceWithTheLinesBeforeIt) {
  LogPipe pipe(spdlog::level::info);
  pipe.log('i');
  pipe.log('w');
  auto text = pipe.read();
  EXPECT_NE(text.find("info  an info line"), std::string::npos) << text;
  EXPECT_NE(text.find("warning a warning"), std::string::npos) << text;
}

TEST(LogOutputTest, InfoLinesArriveWithinAboutASecondWithoutAWarning) {
  LogPipe pipe(spdlog::level::info);
  pipe.log('i');
  EXPECT_NE(pipe.read(10'000).find("an info line"), std::string::npos);
}

TEST(LogOutputTest, AtDebugLevelEveryLineIsWrittenAtOnce) {
  LogPipe pipe(spdlog::level::debug);
  pipe.log('d');
  EXPECT_NE(pipe.read().find("debug a debug line"), std::string::npos);
  pipe.log('i');
  EXPECT_NE(pipe.read().find("info  an info line"), std::string::npos);
}

}  // namespace
}  // namespace sb
