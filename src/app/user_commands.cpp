#include "app/user_commands.hpp"

#include <iostream>

#include <fmt/format.h>
#include <termios.h>
#include <unistd.h>

#include "api/requests.hpp"
#include "app/server.hpp"
#include "auth/passwords.hpp"
#include "store/store.hpp"

namespace sb::app {

namespace {

// One line from `in`; on a terminal, asks twice with echo off and insists the two agree.
std::optional<std::string> readNewPassword(std::istream& in) {
  bool terminal = &in == &std::cin && isatty(STDIN_FILENO) == 1;
  auto readLine = [&](const char* prompt) -> std::optional<std::string> {
    termios saved{};
    if (terminal) {
      std::cerr << prompt << std::flush;
      tcgetattr(STDIN_FILENO, &saved);
      termios quiet = saved;
      quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
      tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    std::string line;
    bool ok = static_cast<bool>(std::getline(in, line));
    if (terminal) {
      tcsetattr(STDIN_FILENO, TCSANOW, &saved);
      std::cerr << "\n";
    }
    if (!ok) return std::nullopt;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
  };
  auto first = readLine("New password: ");
  if (!first) return std::nullopt;
  if (terminal) {
    auto second = readLine("Repeat it: ");
    if (!second || *second != *first) {
      std::cerr << "error: the two passwords differ\n";
      return std::nullopt;
    }
  }
  return first;
}

// The new password, or nullopt after telling the user what is wrong with it.
std::optional<std::string> readValidPassword(std::istream& in, const api::Policy& policy) {
  auto password = readNewPassword(in);
  if (!password) {
    std::cerr << "error: no password given (type it, or pipe it on standard input)\n";
    return std::nullopt;
  }
  if (auto ok = api::validatePassword(*password, policy); !ok) {
    std::cerr << "error: " << ok.error().message << "\n";
    return std::nullopt;
  }
  return password;
}

std::unique_ptr<store::Store> openMigrated(const config::Config& config) {
  std::error_code ec;
  std::filesystem::create_directories(config.dataDir, ec);
  auto store = store::openSqliteStore(config.databasePath());
  store->migrate(SystemClock().now());
  return store;
}

}  // namespace

int runUserAdd(const config::Config& config, const UserAddOptions& options,
               std::istream& passwordInput) {
  api::Policy policy{config.minPasswordLength};
  if (auto ok = api::validateUsername(options.username, "USERNAME"); !ok) {
    std::cerr << "error: " << ok.error().message << "\n";
    return kExitUsage;
  }
  std::string name = options.name.empty() ? options.username : options.name;
  if (auto ok = api::validateDisplayName(name, "--name"); !ok) {
    std::cerr << "error: " << ok.error().message << "\n";
    return kExitUsage;
  }
  store::Roles roles;
  for (const auto& code : options.roles) {
    auto role = store::parseRole(code);
    if (!role) {
      std::cerr << "error: unknown role \"" << code
                << "\"; roles are agent, supervisor, admin, handler\n";
      return kExitUsage;
    }
    roles.add(*role);
  }
  if (roles.empty()) roles.add(store::Role::kAgent);

  auto password = readValidPassword(passwordInput, policy);
  if (!password) return kExitUsage;
  try {
    auto store = openMigrated(config);
    std::string sipPassword = options.sipPassword.value_or(auth::randomSecret(12));
    auto created = store->users().create(
        {options.username, name, auth::hashPassword(*password), sipPassword, roles, {}, {}},
        SystemClock().now());
    if (!created) {
      std::cerr << "error: " << created.error().message << "\n";
      return kExitFailure;
    }
    std::cout << fmt::format("created user {} (id {}) with roles {}; SIP password: {}\n",
                             created->username, created->id, created->roles.join(), sipPassword);
    store->close();
    return kExitOk;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return kExitFailure;
  }
}

int runUserPasswd(const config::Config& config, const std::string& username,
                  std::istream& passwordInput) {
  api::Policy policy{config.minPasswordLength};
  try {
    auto store = openMigrated(config);
    auto user = store->users().findByUsername(username);
    if (!user) {
      std::cerr << "error: no user named \"" << username << "\"\n";
      return kExitFailure;
    }
    auto password = readValidPassword(passwordInput, policy);
    if (!password) return kExitUsage;
    store::UserPatch patch;
    patch.passwordHash = auth::hashPassword(*password);
    auto updated = store->users().update(user->id, patch, SystemClock().now());
    if (!updated) {
      std::cerr << "error: " << updated.error().message << "\n";
      return kExitFailure;
    }
    store->tokens().revokeAllForUser(user->id);
    std::cout << "password changed for " << username << "; the user is signed out everywhere\n";
    store->close();
    return kExitOk;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
    return kExitFailure;
  }
}

}  // namespace sb::app
