#pragma once
// The SIP side of the server, assembled: transport, transactions, core, registrar, guard, and
// the registrar's view of the store. Lives on the control loop.

#include <memory>

#include <boost/asio/io_context.hpp>

#include "api/telephony.hpp"
#include "config/config.hpp"
#include "core/metrics.hpp"
#include "core/time.hpp"
#include "core/worker.hpp"
#include "store/store.hpp"

namespace sb::app {

class TelephonyStack final : public api::Telephony {
 public:
  // Binds the SIP port at once (throws when it is taken).
  TelephonyStack(boost::asio::io_context& io, const config::Config& config, store::Store& store,
                 WorkerPool& storePool, MetricsRegistry& metrics, const Clock& clock,
                 const std::vector<store::SkillGroup>& groups);
  ~TelephonyStack() override;

  void start();
  void stop();
  std::uint16_t port() const;

  std::vector<api::RegistrationView> registrations() const override;
  std::vector<api::BanView> bans() const override;
  bool unban(const std::string& address) override;
  std::vector<api::TrunkView> trunks() const override;
  Result<api::AgentStateView> agentCommand(const std::string& agent, api::AgentCommand command,
                                           const std::string& reason,
                                           const api::AgentPreferences& preferences) override;
  std::optional<api::AgentStateView> agentState(const std::string& agent) const override;
  std::vector<api::QueueStatsView> queues() const override;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sb::app
