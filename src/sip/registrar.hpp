#pragma once
// The registrar (RFC 3261 §10): agent phones register as their agent id (工号) with the SIP
// password, authenticated by digest (RFC 8760: SHA-256 and MD5, qop=auth, stale nonces).
// Several contacts per agent, expiry, Expires: 0 and "*" to unregister, queries. Unknown users
// and wrong passwords are answered alike, so scanners cannot tell which agent ids exist.
// Runs on the SIP control loop.

#include <chrono>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/metrics.hpp"
#include "core/time.hpp"
#include "core/timers.hpp"
#include "sip/authenticator.hpp"
#include "sip/core.hpp"

namespace sb::sip {

struct Binding {
  std::string aor;      // the agent id
  std::string contact;  // the Contact URI as registered
  Peer source;          // where the REGISTER came from: requests to the phone go there (NAT)
  std::string callId;
  std::string userAgent;
  UnixSeconds registeredAt = 0;
  UnixSeconds expiresAt = 0;
};

struct RegistrarOptions {
  std::string realm = "switchboard";
  std::vector<digest::Algorithm> algorithms = {digest::Algorithm::kSha256, digest::Algorithm::kMd5};
  std::chrono::seconds minExpires{60};
  std::chrono::seconds maxExpires{3600};
  std::chrono::seconds defaultExpires{3600};
  std::size_t maxContactsPerUser = 10;
};

class Registrar {
 public:
  Registrar(SipCore& core, Timers& timers, const Clock& wall, CredentialSource& credentials,
            Guard& guard, RegistrarOptions options, MetricsRegistry& metrics);

  void handle(ServerTxId tx, const Message& request, const Peer& from);

  std::vector<Binding> bindings() const;
  std::vector<Binding> bindingsOf(const std::string& aor) const;
  // Told whenever an agent's set of contacts changes (registered, refreshed away, expired).
  void onChange(std::function<void(const std::string& aor)> listener) {
    listener_ = std::move(listener);
  }

 private:
  struct Entry {
    Binding binding;
    Timers::Id expiry = 0;
  };
  void authenticated(ServerTxId tx, const Message& request, const Peer& from,
                     const std::string& aor);
  void remove(const std::string& aor, const std::string& contact);
  void count(std::string_view result);

  SipCore& core_;
  Timers& timers_;
  const Clock& wall_;
  RegistrarOptions options_;
  MetricsRegistry& metrics_;
  CounterFamily outcomes_{metrics_, "sb_sip_register_total", "REGISTER requests by outcome.",
                          "result"};
  Authenticator auth_;
  std::map<std::string, std::vector<Entry>> bindings_;  // by AOR
  std::function<void(const std::string&)> listener_;
};

}  // namespace sb::sip
