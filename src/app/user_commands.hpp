#pragma once

#include <istream>
#include <optional>
#include <string>
#include <vector>

#include "config/config.hpp"

namespace sb::app {

struct UserAddOptions {
  std::string username;
  std::string name;                // defaults to the username
  std::vector<std::string> roles;  // defaults to {"agent"}
  std::optional<std::string> sipPassword;
};

// `switchboard user add`: the way to create the first administrator outside demo mode. The
// password is read from `passwordInput` (prompted twice without echo on a terminal).
int runUserAdd(const config::Config& config, const UserAddOptions& options,
               std::istream& passwordInput);

// `switchboard user passwd USERNAME`: sets a new password and signs the user out everywhere.
int runUserPasswd(const config::Config& config, const std::string& username,
                  std::istream& passwordInput);

}  // namespace sb::app
