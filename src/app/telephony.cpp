#include "app/telephony.hpp"

#include <filesystem>
#include <map>
#include <mutex>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "acd/agent_state.hpp"
#include "calls/contact_center.hpp"
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

// Call records go to the store in batches: the calls that ended while the store thread was busy
// share one write, so a busy second costs a few wake-ups, not one per call. The store journals
// them and commits hundreds at a time; a timer commits what a quiet spell leaves waiting. Work on
// the store thread keeps its order, so after-call work always finds its record.
class CallRecordSaver {
 public:
  // `commitDelay`: how long a record may stay uncommitted (the journal has it meanwhile): other
  // processes reading the database see it, and a CLI writing to it gets the write lock, at most
  // this much later.
  CallRecordSaver(store::Store& store, WorkerPool& pool, std::chrono::milliseconds commitDelay)
      : store_(store), pool_(pool), commitDelay_(commitDelay), commitTimer_(pool.executor()) {}

  // On the control loop.
  void save(store::CallRecord record) {
    {
      std::lock_guard lock(mutex_);
      pending_.push_back(std::move(record));
      if (flushQueued_) return;
      flushQueued_ = true;
    }
    asio::post(pool_.executor(), [this] { flush(); });
  }

  void setAfterCallWork(std::string id, std::int64_t ms) {
    asio::post(pool_.executor(), [this, id = std::move(id), ms] {
      try {
        if (!store_.calls().setAfterCallWork(id, ms))
          spdlog::error("call record {}: not found for its after-call work", id);
      } catch (const std::exception& e) {
        spdlog::error("call record {}: after-call work not saved: {}", id, e.what());
      }
      commitSoon();
    });
  }

  // The store commits what is left when it closes: the timer must not hold up the store thread's
  // last work until it fires.
  void stop() {
    asio::post(pool_.executor(), [this] {
      stopped_ = true;
      commitTimer_.cancel();
    });
  }

 private:
  void flush() {
    std::vector<store::CallRecord> batch;
    {
      std::lock_guard lock(mutex_);
      batch.swap(pending_);
      flushQueued_ = false;
    }
    try {
      auto results = store_.calls().insertAll(batch);
      for (std::size_t i = 0; i < results.size(); ++i) {
        if (!results[i])
          spdlog::error("call record {}: {}", batch[i].id, results[i].error().message);
      }
    } catch (const std::exception& e) {
      // The batch was rolled back: one by one, so that one bad record costs only itself.
      spdlog::error("call records: a batch of {} failed ({}); saving them one by one", batch.size(),
                    e.what());
      for (const auto& record : batch) {
        try {
          auto saved = store_.calls().insert(record);
          if (!saved) spdlog::error("call record {}: {}", record.id, saved.error().message);
        } catch (const std::exception& again) {
          spdlog::error("call record {}: not saved: {}", record.id, again.what());
        }
      }
    }
    commitSoon();
  }

  // On the store thread.
  void commitSoon() {
    if (commitArmed_ || stopped_) return;
    commitArmed_ = true;
    commitTimer_.expires_after(commitDelay_);
    commitTimer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;  // cancelled: the saver is going away
      commitArmed_ = false;
      try {
        store_.commitPending();
      } catch (const std::exception& e) {
        spdlog::error("call records: commit failed, the journal keeps them: {}", e.what());
      }
    });
  }

  store::Store& store_;
  WorkerPool& pool_;
  std::mutex mutex_;
  std::vector<store::CallRecord> pending_;
  bool flushQueued_ = false;
  std::chrono::milliseconds commitDelay_;
  asio::steady_timer commitTimer_;  // store thread only
  bool commitArmed_ = false;
  bool stopped_ = false;
};

}  // namespace

struct TelephonyStack::Impl {
  Impl(asio::io_context& io, const config::Config& config, store::Store& store, WorkerPool& pool,
       MetricsRegistry& metrics, const Clock& clock, const std::vector<store::SkillGroup>& groups)
      : timers(io),
        guard(timers, clock,
              sip::GuardOptions{config.sipPacketsPerSecond, 2 * config.sipPacketsPerSecond,
                                config.sipMaxAuthFailures, std::chrono::seconds(60),
                                config.sipBanTime},
              [networks = config::NetworkList(trustedNetworks(config))](
                  const std::string& address) { return networks.contains(address); }),
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
        media(mediaOptions(config, io, *this)),
        extensionCalls(
            core, userAgent,
            [this](const std::string& number) { return registrar.bindingsOf(number); }, callAuth,
            guard, metrics, inboundTrunks(config),
            calls::MediaAnchor{&media, config.sipAdvertisedAddress},
            [this](sip::ServerTxId tx, const sip::Message& invite, const sip::Peer& from,
                   const std::string& number) {
              if (!contactCenter.serves(number)) return false;
              contactCenter.handle(tx, invite, from, number);
              return true;
            }),
        filesPool("sb-files", 1),
        recordSaver(store, pool, config.callRecordsCommit),
        legs(calls::MediaAnchor{&media, config.sipAdvertisedAddress}),
        prompts(loadPrompts(config)),
        contactCenter(calls::ContactCenterServices{
                          core, userAgent, legs, timers, clock, metrics,
                          [this](const std::string& agent) { return registrar.bindingsOf(agent); },
                          [this](const std::string& name) -> media::ClipPtr {
                            auto it = prompts.find(name);
                            return it == prompts.end() ? nullptr : it->second;
                          },
                          &recordings,
                          [this, &io](std::function<void()> work, std::function<void()> then) {
                            offload(io, filesPool, std::move(work), std::move(then));
                          },
                          [&io](std::function<void()> work) { asio::post(io, std::move(work)); },
                          [this](store::CallRecord record) { recordSaver.save(std::move(record)); },
                          [this](std::string id, std::int64_t ms) {
                            recordSaver.setAfterCallWork(std::move(id), ms);
                          },
                          nullptr,
                          config::mobileTrunk(config) == nullptr
                              ? std::function<std::optional<calls::TrunkCall>(const std::string&)>()
                              : [this](const std::string& number) { return dialMobile(number); }},
                      contactCenterOptions(config, groups, transport.port())),
        resolver(io, sip::AresResolver::Options{}),
        trunks(config.trunks) {
    if (const auto* trunk = config::mobileTrunk(config)) {
      mobileTrunk = *trunk;
      locateMobileTrunk();
    }
    core.attach(transactions);
    core.attachDialogs(userAgent);
    registrar.onChange([this](const std::string& aor) {
      contactCenter.phoneChanged(aor, !registrar.bindingsOf(aor).empty());
    });
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
      auto hostPort = hostPortOf(trunk);
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
    metrics.gauge("sb_sip_transaction_bytes",
                  "Message bytes held by live and lingering SIP transactions.",
                  [this] { return static_cast<double>(transactions.stats().heldBytes); });
    metrics.gauge("sb_sip_bans", "Source addresses banned after authentication failures.",
                  [this] { return static_cast<double>(guard.bans().size()); });
    metrics.gauge("sb_sip_guard_dropped_packets", "Packets dropped by bans and rate limits.",
                  [this] { return static_cast<double>(guard.droppedPackets()); });
  }

  ~Impl() { filesPool.stop(); }  // its work uses the recording writer, destroyed before it

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
  calls::ExtensionCalls extensionCalls;
  WorkerPool filesPool;  // recording files are created and finished here
  CallRecordSaver recordSaver;
  media::RecordingWriter recordings;
  calls::MediaLegs legs;
  std::map<std::string, media::ClipPtr> prompts;
  calls::ContactCenter contactCenter;

  // Runs `work` on `pool`, then `then` on the control loop.
  static void offload(asio::io_context& io, WorkerPool& pool, std::function<void()> work,
                      std::function<void()> then) {
    asio::post(pool.executor(), [&io, work = std::move(work), then = std::move(then)]() mutable {
      try {
        work();
      } catch (const std::exception& e) {
        spdlog::error("background work failed: {}", e.what());
      }
      asio::post(io, std::move(then));
    });
  }

  // Every prompt of the prompts folder by name (file name without .wav), loaded once.
  static std::map<std::string, media::ClipPtr> loadPrompts(const config::Config& config) {
    std::map<std::string, media::ClipPtr> out;
    auto dir = promptsDir(config);
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      if (entry.path().extension() != ".wav") continue;
      auto clip = media::AudioClip::load(entry.path());
      if (!clip) {
        spdlog::warn("prompt {}: {}", entry.path().string(), clip.error().message);
        continue;
      }
      out.emplace(entry.path().stem().string(), *clip);
    }
    if (out.empty()) spdlog::warn("no prompts found in {}", dir.string());
    return out;
  }

  // acd.prompts_dir, else the prompts the build made.
  static std::filesystem::path promptsDir(const config::Config& config) {
    if (!config.acd.promptsDir.empty()) return config.acd.promptsDir;
    return SB_BUILD_PROMPTS_DIR;
  }

  static calls::ContactCenterOptions contactCenterOptions(
      const config::Config& config, const std::vector<store::SkillGroup>& groups,
      std::uint16_t port) {
    calls::ContactCenterOptions o;
    o.acd = config.acd;
    o.queues = config.queues;
    o.schedules = config.schedules;
    o.flows = config.flows;
    o.numbers = config.numbers;
    for (const auto& g : groups)
      o.groups.push_back({g.id, g.name});
    o.dataDir = config.dataDir;
    const auto& host = config.sipAdvertisedAddress;
    o.domain = host.find(':') == std::string::npos ? fmt::format("{}:{}", host, port)
                                                   : fmt::format("[{}]:{}", host, port);
    return o;
  }

  static api::AgentStateView agentView(const std::string& agent, const acd::AgentView& v) {
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

  sip::AresResolver resolver;
  std::vector<config::TrunkConfig> trunks;
  // 手机接听 goes out through this trunk, to the peers DNS last gave for it.
  std::optional<config::TrunkConfig> mobileTrunk;
  std::vector<sip::Peer> mobileTrunkPeers;
  std::chrono::steady_clock::time_point mobileTrunkLocatedAt;
  bool locatingMobileTrunk = false;

  static constexpr std::chrono::minutes kRelocateTrunkAfter{5};

  void locateMobileTrunk() {
    if (locatingMobileTrunk) return;
    locatingMobileTrunk = true;
    const auto& t = *mobileTrunk;
    resolver.resolve(sip::ResolveRequest{t.host, t.port, transportOf(t), false},
                     [this](Result<std::vector<sip::Peer>> peers) {
                       locatingMobileTrunk = false;
                       mobileTrunkLocatedAt = std::chrono::steady_clock::now();
                       if (!peers || peers->empty()) {
                         // Keep the last good answer: DNS trouble should not stop the mobiles.
                         spdlog::warn("trunk {}: cannot locate it for mobile answering: {}",
                                      mobileTrunk->name,
                                      peers ? "no address" : peers.error().message);
                         return;
                       }
                       mobileTrunkPeers = std::move(*peers);
                     });
  }

  std::optional<calls::TrunkCall> dialMobile(const std::string& number) {
    if (std::chrono::steady_clock::now() - mobileTrunkLocatedAt > kRelocateTrunkAfter)
      locateMobileTrunk();
    if (mobileTrunkPeers.empty()) {
      spdlog::warn("trunk {}: not located (yet); cannot ring mobile {}", mobileTrunk->name, number);
      return std::nullopt;
    }
    const auto& t = *mobileTrunk;
    auto hostPort = hostPortOf(t);
    return calls::TrunkCall{fmt::format("sip:{}@{}", number, hostPort),
                            fmt::format("<sip:{}@{}>", number, hostPort), mobileTrunkPeers.front(),
                            t.username, t.password};
  }
  std::map<std::string, std::unique_ptr<sip::RegistrationClient>> registrations;  // by trunk

  // The engine reports on its workers; calls hear of it on the control loop.
  static media::MediaEngine::Options mediaOptions(const config::Config& config,
                                                  asio::io_context& io, Impl& self) {
    media::MediaEngine::Options o;
    o.rtpTimeout = config.rtpTimeout;
    o.onSilent = [&io, &self](media::EndpointId endpoint) {
      asio::post(io, [&self, endpoint] {
        if (!self.contactCenter.onMediaSilent(endpoint))
          self.extensionCalls.onMediaSilent(endpoint);
      });
    };
    o.onDigit = [&io, &self](const media::DigitEvent& digit) {
      asio::post(io, [&self, digit] { self.contactCenter.onDigit(digit); });
    };
    o.onPlayed = [&io, &self](media::EndpointId endpoint) {
      asio::post(io, [&self, endpoint] { self.contactCenter.onPlayed(endpoint); });
    };
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
  // The trunk's host[:port] as request URIs name it.
  static std::string hostPortOf(const config::TrunkConfig& trunk) {
    return trunk.port ? fmt::format("{}:{}", uriHost(trunk.host), *trunk.port)
                      : uriHost(trunk.host);
  }

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
                               const Clock& clock, const std::vector<store::SkillGroup>& groups)
    : impl_(std::make_unique<Impl>(io, config, store, storePool, metrics, clock, groups)) {}

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
  impl_->recordSaver.stop();
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
  auto& center = impl_->contactCenter;
  Result<acd::AgentView> view = Error::unavailable("unknown command");
  switch (command) {
    case api::AgentCommand::kSignIn: {
      calls::AgentProfile profile;
      profile.userId = preferences.userId;
      profile.username = agent;
      profile.settings.initialState = preferences.initialBusy ? store::InitialAgentState::kBusy
                                                              : store::InitialAgentState::kIdle;
      profile.settings.autoReadyAfterAcw = preferences.autoReadyAfterAcw;
      profile.settings.autoAnswer = preferences.autoAnswer;
      profile.settings.autoRecord = preferences.autoRecord;
      for (const auto& skill : preferences.skills)
        profile.skills.push_back({skill.groupId, skill.group, skill.level});
      view = center.signIn(profile);
      break;
    }
    case api::AgentCommand::kSignOut:
      view = center.command(agent, acd::AgentEvent::signOut());
      break;
    case api::AgentCommand::kIdle:
      view = center.command(agent, acd::AgentEvent::setIdle());
      break;
    case api::AgentCommand::kBreak:
      view = center.command(agent, acd::AgentEvent::setBreak(reason.empty() ? "break" : reason));
      break;
    case api::AgentCommand::kBusy:
      view = center.command(agent, acd::AgentEvent::setBusy());
      break;
    case api::AgentCommand::kMobile:
      view = center.setMobile(agent, preferences.mobileNumber);
      break;
    case api::AgentCommand::kReset:
      view = center.command(agent, acd::AgentEvent::reset());
      break;
  }
  if (!view) return view.error();
  auto out = Impl::agentView(agent, *view);
  out.mobileNumber = center.mobileNumber(agent);
  return out;
}

std::optional<api::AgentStateView> TelephonyStack::agentState(const std::string& agent) const {
  auto view = impl_->contactCenter.agent(agent);
  if (!view) return std::nullopt;
  auto out = Impl::agentView(agent, *view);
  out.mobileNumber = impl_->contactCenter.mobileNumber(agent);
  return out;
}

std::vector<api::QueueStatsView> TelephonyStack::queues() const {
  const auto& center = impl_->contactCenter;
  std::vector<api::QueueStatsView> out;
  for (const auto& q : center.queues()) {
    api::QueueStatsView v;
    v.groupId = q.groupId;
    v.group = q.group;
    v.waiting = q.waiting;
    v.longestWaitSeconds = q.longestWait.count();
    v.agentsSignedIn = q.agentsSignedIn;
    v.agentsIdle = q.agentsIdle;
    v.agentsRinging = q.agentsRinging;
    v.agentsTalking = q.agentsTalking;
    v.agentsAfterCallWork = q.agentsAfterCallWork;
    v.agentsOnBreak = q.agentsOnBreak;
    v.answered = q.answered;
    v.answeredWithinThreshold = q.answeredWithinThreshold;
    v.abandoned = q.abandoned;
    v.overflowed = q.overflowed;
    v.serviceLevelThresholdSeconds = center.serviceLevelThresholdSeconds();
    v.serviceLevelTarget = center.serviceLevelTarget();
    auto finished = q.answered + q.abandoned;
    if (finished > 0) {
      v.serviceLevel =
          static_cast<double>(q.answeredWithinThreshold) / static_cast<double>(finished);
      v.abandonRate = static_cast<double>(q.abandoned) / static_cast<double>(finished);
    }
    if (q.answered > 0) {
      v.averageSpeedOfAnswerSeconds = std::chrono::duration<double>(q.totalAnswerWait).count() /
                                      static_cast<double>(q.answered);
    }
    out.push_back(std::move(v));
  }
  return out;
}

bool TelephonyStack::unban(const std::string& address) {
  return impl_->guard.unban(address);
}

}  // namespace sb::app
