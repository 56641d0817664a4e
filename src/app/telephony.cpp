#include "app/telephony.hpp"

#include <map>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "acd/agent_state.hpp"
#include "calls/extension_calls.hpp"
#include "core/asio_timers.hpp"
#include "sip/authenticator.hpp"
#include "sip/core.hpp"
#include "sip/guard.hpp"
#include "sip/registrar.hpp"
#include "sip/registration_client.hpp"
#include "sip/resolver.hpp"
#include "sip/transactions.hpp"
#include "sip/transport.hpp"
#include "sip/user_agent.hpp"

namespace sb::app {

namespace {

// SIP passwords straight from the store, looked up on the store thread: a password changed in
// the workbench counts from the next REGISTER on.
class StoreCredentials final : public sip::CredentialSource {
 public:
  StoreCredentials(asio::io_context& io, store::Store& store, WorkerPool& pool)
      : io_(io), store_(store), pool_(pool) {}

  void lookup(const std::string& username,
              std::function<void(std::optional<std::string>)> done) override {
    asio::co_spawn(
        io_,
        [this, username, done = std::move(done)]() -> asio::awaitable<void> {
          std::optional<std::string> password;
          try {
            password =
                co_await runOn(pool_, [&] { return store_.users().findSipPassword(username); });
          } catch (const std::exception& e) {
            spdlog::error("sip credential lookup failed: {}", e.what());
          }
          done(password);
        },
        asio::detached);
  }

 private:
  asio::io_context& io_;
  store::Store& store_;
  WorkerPool& pool_;
};

}  // namespace

struct TelephonyStack::Impl {
  Impl(asio::io_context& io, const config::Config& config, store::Store& store, WorkerPool& pool,
       MetricsRegistry& metrics, const Clock& clock)
      : timers(io),
        guard(timers, clock,
              sip::GuardOptions{config.sipPacketsPerSecond, 2 * config.sipPacketsPerSecond,
                                config.sipMaxAuthFailures, std::chrono::seconds(60),
                                config.sipBanTime},
              [networks = trustedNetworks(config)](const std::string& address) {
                for (const auto& n : networks) {
                  if (config::networkContains(n, address)) return true;
                }
                return false;
              }),
        core(metrics, "switchboard/" SB_VERSION),
        transport(
            io, sip::SipTransport::Options{config.sipAddresses, config.sipPort},
            [this](sip::Message message, const sip::Peer& from) {
              transactions.receive(std::move(message), from);
            },
            metrics, [this](const std::string& address) { return guard.admit(address); }),
        transactions(timers, transport, core,
                     sip::TimerSettings{config.sipT1, config.sipT2, config.sipT4}),
        credentials(io, store, pool),
        registrar(
            core, timers, clock, credentials, guard,
            [&] {
              sip::RegistrarOptions o;
              o.realm = config.sipRealm;
              o.algorithms = algorithms(config);
              return o;
            }(),
            metrics),
        userAgent(core, transactions, transport, timers,
                  sip::TimerSettings{config.sipT1, config.sipT2, config.sipT4},
                  userAgentOptions(config, transport.port())),
        callAuth(core, clock, credentials, guard,
                 sip::AuthOptions{config.sipRealm, algorithms(config)}),
        media(mediaOptions(config,
                           [this, &io](media::EndpointId endpoint) {
                             asio::post(
                                 io, [this, endpoint] { extensionCalls.onMediaSilent(endpoint); });
                           })),
        wallClock(clock),
        extensionCalls(
            core, userAgent,
            [this](const std::string& number) { return registrar.bindingsOf(number); }, callAuth,
            guard, metrics, inboundTrunks(config),
            calls::MediaAnchor{&media, config.sipAdvertisedAddress}),
        resolver(io, sip::AresResolver::Options{}),
        trunks(config.trunks) {
    core.attach(transactions);
    core.attachDialogs(userAgent);
    registrar.onChange([this](const std::string& aor) { syncPhone(aor); });
    core.onRegister([this](sip::ServerTxId tx, const sip::Message& request, const sip::Peer& from) {
      registrar.handle(tx, request, from);
    });
    core.onInvite([this](sip::ServerTxId tx, const sip::Message& request, const sip::Peer& from) {
      extensionCalls.handle(tx, request, from);
    });
    auto ours = userAgentOptions(config, transport.port());
    for (const auto& trunk : config.trunks) {
      if (!trunk.registers) continue;
      sip::RegistrationOptions o;
      auto hostPort =
          trunk.port ? fmt::format("{}:{}", uriHost(trunk.host), *trunk.port) : uriHost(trunk.host);
      o.registrarUri = "sip:" + hostPort;
      o.aor = fmt::format("sip:{}@{}", trunk.username, hostPort);
      o.username = trunk.username;
      o.password = trunk.password;
      o.contactUri = fmt::format("sip:{}@{}", trunk.username, ours.viaSentBy);
      o.viaSentBy = ours.viaSentBy;
      o.userAgent = ours.userAgent;
      o.expires = trunk.registerExpires;
      sip::ResolveRequest where{trunk.host, trunk.port, transportOf(trunk), false};
      auto client = std::make_unique<sip::RegistrationClient>(
          transactions, timers, std::move(o),
          [this, where, name = trunk.name](std::function<void(std::vector<sip::Peer>)> answer) {
            resolver.resolve(
                where, [answer = std::move(answer), name](Result<std::vector<sip::Peer>> peers) {
                  if (!peers) {
                    spdlog::warn("trunk {}: {}", name, peers.error().message);
                    answer({});
                    return;
                  }
                  answer(std::move(*peers));
                });
          });
      client->onStateChange([name = trunk.name, c = client.get()](sip::RegistrationState state) {
        spdlog::info("trunk {} registration {}{}{}", name, sip::registrationStateName(state),
                     c->lastError().empty() ? "" : ": ", c->lastError());
      });
      registrations.emplace(trunk.name, std::move(client));
    }
    metrics.gauge("sb_sip_transactions", "Live SIP transactions (server and client).", [this] {
      auto stats = transactions.stats();
      return static_cast<double>(stats.servers + stats.clients);
    });
    metrics.gauge("sb_sip_bans", "Source addresses banned after authentication failures.",
                  [this] { return static_cast<double>(guard.bans().size()); });
    metrics.gauge("sb_sip_guard_dropped_packets", "Packets dropped by bans and rate limits.",
                  [this] { return static_cast<double>(guard.droppedPackets()); });
  }

  AsioTimers timers;
  sip::Guard guard;
  sip::SipCore core;
  sip::SipTransport transport;
  sip::TransactionLayer transactions;
  StoreCredentials credentials;
  sip::Registrar registrar;
  sip::UserAgent userAgent;
  sip::Authenticator callAuth;
  media::MediaEngine media;
  const Clock& wallClock;
  calls::ExtensionCalls extensionCalls;
  // Agents signed in to the ACD since the server started, by agent id (工号).
  std::map<std::string, std::unique_ptr<acd::AgentStateMachine>> agents;

  static api::AgentStateView agentView(const std::string& agent,
                                       const acd::AgentStateMachine& machine) {
    auto v = machine.view();
    api::AgentStateView out;
    out.agent = agent;
    out.status = std::string(acd::agentStatusCode(v.status));
    out.activity = std::string(acd::agentActivityCode(v.activity));
    out.breakReason = v.breakReason;
    if (v.requestedStatus)
      out.requestedStatus = std::string(acd::agentStatusCode(*v.requestedStatus));
    out.phoneRegistered = v.phoneRegistered;
    out.since = v.since;
    return out;
  }

  // The registrar's view of the agent's phone, told to its state machine.
  void syncPhone(const std::string& agent) {
    auto it = agents.find(agent);
    if (it == agents.end()) return;
    bool registered = !registrar.bindingsOf(agent).empty();
    if (registered == it->second->phoneRegistered()) return;
    (void)it->second->handle(registered ? acd::AgentEvent::phoneRegistered()
                                        : acd::AgentEvent::phoneUnregistered());
  }
  sip::AresResolver resolver;
  std::vector<config::TrunkConfig> trunks;
  std::map<std::string, std::unique_ptr<sip::RegistrationClient>> registrations;  // by trunk

  static media::MediaEngine::Options mediaOptions(const config::Config& config,
                                                  std::function<void(media::EndpointId)> onSilent) {
    media::MediaEngine::Options o;
    o.rtpTimeout = config.rtpTimeout;
    o.onSilent = std::move(onSilent);
    o.address = config.bind;
    o.firstPort = config.rtpPorts.first;
    o.lastPort = config.rtpPorts.last;
    o.workers = 1;
    return o;
  }

  static std::vector<std::string> trustedNetworks(const config::Config& config) {
    auto out = config.sipTrustedNetworks;
    for (const auto& trunk : config.trunks)
      out.insert(out.end(), trunk.inboundNetworks.begin(), trunk.inboundNetworks.end());
    return out;
  }

  static std::vector<calls::InboundTrunk> inboundTrunks(const config::Config& config) {
    std::vector<calls::InboundTrunk> out;
    for (const auto& trunk : config.trunks) {
      if (!trunk.inboundNetworks.empty())
        out.push_back({trunk.name, trunk.inboundNetworks, trunk.dids});
    }
    return out;
  }

  static std::optional<sip::Transport> transportOf(const config::TrunkConfig& trunk) {
    if (!trunk.transport) return std::nullopt;
    return *trunk.transport == "tcp" ? sip::Transport::kTcp : sip::Transport::kUdp;
  }

  // An IPv6 literal goes into a URI in brackets.
  static std::string uriHost(const std::string& host) {
    return host.find(':') == std::string::npos ? host : "[" + host + "]";
  }

  static std::vector<sip::digest::Algorithm> algorithms(const config::Config& config) {
    std::vector<sip::digest::Algorithm> out;
    for (const auto& name : config.sipAuthAlgorithms)
      out.push_back(*sip::digest::parseAlgorithm(name));
    return out;
  }

  static sip::UserAgentOptions userAgentOptions(const config::Config& config, std::uint16_t port) {
    auto host = config.sipAdvertisedAddress;
    auto hostPort = host.find(':') == std::string::npos ? fmt::format("{}:{}", host, port)
                                                        : fmt::format("[{}]:{}", host, port);
    sip::UserAgentOptions o;
    o.contactUri = fmt::format("sip:switchboard@{}", hostPort);
    o.viaSentBy = hostPort;
    o.userAgent = "switchboard/" SB_VERSION;
    return o;
  }
};

TelephonyStack::TelephonyStack(asio::io_context& io, const config::Config& config,
                               store::Store& store, WorkerPool& storePool, MetricsRegistry& metrics,
                               const Clock& clock)
    : impl_(std::make_unique<Impl>(io, config, store, storePool, metrics, clock)) {}

TelephonyStack::~TelephonyStack() = default;
void TelephonyStack::start() {
  impl_->transport.start();
  for (auto& [name, client] : impl_->registrations)
    client->start();
}
void TelephonyStack::stop() {
  // Unregistering is best effort: the un-REGISTER leaves before the sockets close, a challenge
  // to it goes unanswered.
  for (auto& [name, client] : impl_->registrations)
    client->stop();
  impl_->transport.stop();
}
std::uint16_t TelephonyStack::port() const {
  return impl_->transport.port();
}

std::vector<api::RegistrationView> TelephonyStack::registrations() const {
  std::vector<api::RegistrationView> out;
  for (const auto& b : impl_->registrar.bindings()) {
    out.push_back({b.aor, b.contact, b.source.transport == sip::Transport::kTcp ? "tcp" : "udp",
                   b.source.address, b.source.port, b.userAgent, b.registeredAt, b.expiresAt});
  }
  return out;
}

std::vector<api::BanView> TelephonyStack::bans() const {
  std::vector<api::BanView> out;
  for (const auto& b : impl_->guard.bans())
    out.push_back({b.address, b.since, b.until, b.failures});
  return out;
}

std::vector<api::TrunkView> TelephonyStack::trunks() const {
  std::vector<api::TrunkView> out;
  for (const auto& trunk : impl_->trunks) {
    api::TrunkView v{trunk.name, trunk.host, trunk.inboundNetworks, trunk.dids};
    if (auto it = impl_->registrations.find(trunk.name); it != impl_->registrations.end()) {
      const auto& client = *it->second;
      v.registration = std::string(sip::registrationStateName(client.state()));
      v.lastError = client.lastError();
      if (auto peer = client.registeredWith()) {
        v.registrar = sip::peerAddress(*peer);
      }
    }
    out.push_back(std::move(v));
  }
  return out;
}

Result<api::AgentStateView> TelephonyStack::agentCommand(const std::string& agent,
                                                         api::AgentCommand command,
                                                         const std::string& reason,
                                                         const api::AgentPreferences& preferences) {
  auto& agents = impl_->agents;
  auto it = agents.find(agent);
  if (command == api::AgentCommand::kSignIn) {
    acd::AgentStateConfig config;
    config.initialStatus =
        preferences.initialBusy ? acd::AgentStatus::kBusy : acd::AgentStatus::kIdle;
    config.autoReadyAfterAcw = preferences.autoReadyAfterAcw;
    if (it == agents.end() || it->second->status() == acd::AgentStatus::kSignedOut) {
      // Signed out, the settings of this sign-in apply.
      auto machine =
          std::make_unique<acd::AgentStateMachine>(agent, config, impl_->wallClock, impl_->timers);
      it = agents.insert_or_assign(agent, std::move(machine)).first;
      impl_->syncPhone(agent);
    } else {
      return Impl::agentView(agent, *it->second);  // signed in already: nothing to do
    }
  } else if (it == agents.end()) {
    return Error::conflict(fmt::format("agent {} is not signed in", agent));
  }
  acd::AgentEvent event = acd::AgentEvent::signIn();
  switch (command) {
    case api::AgentCommand::kSignIn:
      break;
    case api::AgentCommand::kSignOut:
      event = acd::AgentEvent::signOut();
      break;
    case api::AgentCommand::kIdle:
      event = acd::AgentEvent::setIdle();
      break;
    case api::AgentCommand::kBreak:
      event = acd::AgentEvent::setBreak(reason.empty() ? "break" : reason);
      break;
    case api::AgentCommand::kBusy:
      event = acd::AgentEvent::setBusy();
      break;
  }
  auto outcome = it->second->handle(event);
  if (!outcome) return outcome.error();
  spdlog::info("agent {} {} -> status={} activity={}", agent, acd::agentEventCode(event.type),
               acd::agentStatusCode(it->second->status()),
               acd::agentActivityCode(it->second->activity()));
  return Impl::agentView(agent, *it->second);
}

std::optional<api::AgentStateView> TelephonyStack::agentState(const std::string& agent) const {
  auto it = impl_->agents.find(agent);
  if (it == impl_->agents.end()) return std::nullopt;
  return Impl::agentView(agent, *it->second);
}

bool TelephonyStack::unban(const std::string& address) {
  return impl_->guard.unban(address);
}

}  // namespace sb::app
