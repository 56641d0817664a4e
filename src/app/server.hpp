#pragma once

#include "config/config.hpp"

namespace sb::app {

// Exit codes of the switchboard command.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;  // could not start or run (port taken, database broken)
inline constexpr int kExitUsage = 2;    // bad command line or configuration

// Serves until SIGINT/SIGTERM, then stops accepting, finishes requests in progress, closes the
// database and returns kExitOk.
int runServer(const config::Config& config);

// Opens the database, applies migrations, reports. Used by `switchboard migrate`.
int runMigrate(const config::Config& config);

}  // namespace sb::app
