#pragma once
// What the API shows of the telephony side, without depending on it: the app wires the SIP
// registrar and guard in behind this interface. Called on the control loop.

#include <cstdint>
#include <string>
#include <vector>

#include "core/time.hpp"

namespace sb::api {

struct RegistrationView {
  std::string user;
  std::string contact;
  std::string transport;  // "udp", "tcp"
  std::string address;    // where the REGISTER came from
  std::uint16_t port = 0;
  std::string userAgent;
  UnixSeconds registeredAt = 0;
  UnixSeconds expiresAt = 0;
};

struct BanView {
  std::string address;
  UnixSeconds since = 0;
  UnixSeconds until = 0;
  std::uint32_t failures = 0;
};

struct TrunkView {
  std::string name;
  std::string host;  // empty: inbound only
  std::vector<std::string> inboundNetworks;
  std::vector<std::string> dids;
  // "off" (does not register), "registering", "registered", "failed"
  std::string registration = "off";
  std::string lastError;
  std::string registrar;  // address:port last used, when registering
};

class Telephony {
 public:
  virtual ~Telephony() = default;
  virtual std::vector<RegistrationView> registrations() const = 0;
  virtual std::vector<BanView> bans() const = 0;
  virtual bool unban(const std::string& address) = 0;
  virtual std::vector<TrunkView> trunks() const { return {}; }
};

}  // namespace sb::api
