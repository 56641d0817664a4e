// The switchboard command: serves, migrates the database, manages users.

#include <iostream>

#include <CLI/CLI.hpp>

#include "app/server.hpp"
#include "app/user_commands.hpp"
#include "config/config.hpp"
#include "core/logging.hpp"

namespace {

using sb::app::kExitUsage;

std::optional<sb::config::Config> loadOrReport(const std::string& path) {
  if (path.empty()) {
    std::cerr << "error: --config FILE is required (or set SWITCHBOARD_CONFIG)\n";
    return std::nullopt;
  }
  auto config = sb::config::loadConfig(path, sb::config::processEnvironment());
  if (!config) {
    const auto& e = config.error();
    std::cerr << "error: configuration " << path;
    if (!e.field.empty()) std::cerr << ": key " << e.field;
    std::cerr << ": " << e.message << "\n";
    return std::nullopt;
  }
  return config.value();
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"Switchboard: SIP PBX, ACD, CTI and agent workbench in one server."};
  app.set_version_flag("--version", "switchboard " SB_VERSION);
  std::string configPath;
  app.add_option("-c,--config", configPath, "Configuration file (TOML)")
      ->envname("SWITCHBOARD_CONFIG");

  auto* migrate = app.add_subcommand("migrate", "Apply database migrations and exit");

  auto* user = app.add_subcommand("user", "Manage users");
  user->require_subcommand(1);
  sb::app::UserAddOptions addOptions;
  auto* add = user->add_subcommand(
      "add", "Create a user; the password is read from standard input (asked twice on a terminal)");
  add->add_option("username", addOptions.username, "Sign-in name (the agent id, 工号, for agents)")
      ->required();
  add->add_option("--name", addOptions.name, "Display name (default: the username)");
  add->add_option("--role", addOptions.roles, "agent, supervisor, admin or handler; repeatable")
      ->take_all();
  add->add_option("--sip-password", addOptions.sipPassword,
                  "Password of the user's SIP phone (default: random)");
  std::string passwdUser;
  auto* passwd = user->add_subcommand("passwd", "Set a user's password, read from standard input");
  passwd->add_option("username", passwdUser, "The user")->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }

  auto config = loadOrReport(configPath);
  if (!config) return kExitUsage;
  sb::setupLogging(*sb::parseLogLevel(config->logLevel));

  if (*migrate) return sb::app::runMigrate(*config);
  if (*add) return sb::app::runUserAdd(*config, addOptions, std::cin);
  if (*passwd) return sb::app::runUserPasswd(*config, passwdUser, std::cin);
  return sb::app::runServer(*config);
}
