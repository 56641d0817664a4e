#include "app/server.hpp"

#include <cerrno>
#include <csignal>
#include <cstring>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/signal_set.hpp>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include "api/api_service.hpp"
#include "api/http_server.hpp"
#include "app/demo_data.hpp"
#include "app/telephony.hpp"
#include "auth/passwords.hpp"
#include "calls/contact_center.hpp"
#include "core/logging.hpp"
#include "core/worker.hpp"

namespace sb::app {

namespace fs = std::filesystem;
using tcp = asio::ip::tcp;

namespace {

std::unique_ptr<store::Store> openStore(const config::Config& config, const Clock& clock) {
  std::error_code ec;
  fs::create_directories(config.dataDir, ec);
  if (ec) {
    throw store::StoreError("cannot create data directory " + config.dataDir.string() + ": " +
                            ec.message());
  }
  auto store = store::openSqliteStore(config.databasePath());
  store->migrate(clock.now());
  if (auto replayed = store->openCallJournal(); replayed > 0) {
    spdlog::warn("call journal: {} entries the last run left uncommitted are in the database now",
                 replayed);
  }
  return store;
}

// Every connection, and later every RTP socket, is a descriptor: use what the system allows.
void raiseOpenFileLimit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur >= limit.rlim_max) return;
  limit.rlim_cur = limit.rlim_max;
  if (setrlimit(RLIMIT_NOFILE, &limit) != 0) {
    spdlog::warn("cannot raise the open file limit: {}", std::strerror(errno));
  }
}

}  // namespace

int runMigrate(const config::Config& config) {
  SystemClock clock;
  try {
    std::error_code ec;
    fs::create_directories(config.dataDir, ec);
    auto store = store::openSqliteStore(config.databasePath());
    int applied = store->migrate(clock.now());
    spdlog::info("database {} at schema version {} ({} migrations applied)",
                 config.databasePath().string(), store->schemaVersion(), applied);
    store->close();
    return kExitOk;
  } catch (const std::exception& e) {
    spdlog::error("migrate failed: {}", e.what());
    return kExitFailure;
  }
}

int runServer(const config::Config& config) {
  SystemClock clock;
  raiseOpenFileLimit();
  spdlog::info("switchboard {} starting config={} data_dir={} demo={}", SB_VERSION,
               config.sourceFile.string(), config.dataDir.string(), config.demo);
  std::unique_ptr<store::Store> store;
  try {
    auth::initCrypto();
    store = openStore(config, clock);
    if (config.demo) {
      seedDemoData(*store, clock.now());
    } else if (store->users().count() == 0) {
      spdlog::warn(
          "there are no users yet; create the first administrator with: "
          "switchboard --config {} user add admin --role admin",
          config.sourceFile.string());
    }
  } catch (const std::exception& e) {
    spdlog::error("cannot open the database: {}", e.what());
    return kExitFailure;
  }

  // The routing configuration names skill groups, which live in the database.
  std::vector<store::SkillGroup> groups;
  try {
    groups = store->skillGroups().list();
  } catch (const std::exception& e) {
    spdlog::error("cannot read the skill groups: {}", e.what());
    return kExitFailure;
  }
  {
    calls::ContactCenterOptions routing;
    routing.numbers = config.numbers;
    routing.queues = config.queues;
    routing.flows = config.flows;
    for (const auto& g : groups)
      routing.groups.push_back({g.id, g.name});
    if (auto checked = calls::checkGroups(routing); !checked) {
      spdlog::error("configuration {}: key {}: {}", config.sourceFile.string(),
                    checked.error().field, checked.error().message);
      store->close();
      return kExitUsage;
    }
  }

  asio::io_context io(1);
  // Installed before anything announces readiness, so that an early SIGTERM still stops cleanly.
  asio::signal_set signals(io, SIGINT, SIGTERM);
  MetricsRegistry metrics;
  metrics.gauge("sb_bugs", "Broken invariants seen since start (should stay 0).",
                [] { return static_cast<double>(bugCount()); });
  WorkerPool storePool("sb-store", 1);
  WorkerPool blockingPool("sb-blocking", 2);

  std::unique_ptr<TelephonyStack> telephony;
  try {
    telephony =
        std::make_unique<TelephonyStack>(io, config, *store, storePool, metrics, clock, groups);
  } catch (const std::exception& e) {
    spdlog::error("cannot listen for SIP on {}:{}: {}", config.bind, config.sipPort, e.what());
    storePool.stop();
    store->close();
    return kExitFailure;
  }
  api::ApiService service(
      {config, *store, storePool, blockingPool, metrics, clock, telephony.get()});

  std::unique_ptr<api::HttpServer> http;
  tcp::endpoint httpEndpoint(asio::ip::make_address(config.bind), config.httpPort);
  try {
    http = std::make_unique<api::HttpServer>(
        io, httpEndpoint,
        api::HttpServer::Options{config.httpMaxBodyBytes, std::size_t{16} * 1024,
                                 config.httpIdleTimeout, &blockingPool},
        [&service](api::Request& r) { return service.handle(r); }, metrics);
  } catch (const std::exception& e) {
    spdlog::error("cannot listen for HTTP on {}:{}: {}", config.bind, config.httpPort, e.what());
    telephony.reset();
    storePool.stop();
    store->close();
    return kExitFailure;
  }

  http->start();
  telephony->start();
  auto bound = http->localEndpoint();
  spdlog::info("switchboard ready http={}:{} sip={}:{}", bound.address().to_string(), bound.port(),
               config.sipAddresses.front(), telephony->port());
  spdlog::default_logger()->flush();  // whoever started the server waits for this line

  bool stopping = false;
  std::function<void(const boost::system::error_code&, int)> onSignal =
      [&](const boost::system::error_code& ec, int signal) {
        if (ec) return;
        if (stopping) {
          spdlog::warn("second signal {}: stopping now", signal);
          io.stop();
          return;
        }
        stopping = true;
        spdlog::info("signal {} received: stopping", signal);
        signals.async_wait(onSignal);
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
              telephony->stop();
              co_await http->shutdown(config.shutdownGrace);
              signals.cancel();
              io.stop();
            },
            asio::detached);
      };
  signals.async_wait(onSignal);

  io.run();

  // The loop is stopped: let the store thread finish what it was given, then close the database.
  blockingPool.stop();
  storePool.stop();
  http.reset();
  store->close();
  spdlog::info("switchboard stopped");
  return kExitOk;
}

}  // namespace sb::app
