#pragma once
// Locating SIP servers (RFC 3263 §4): turns the host of an outbound target (a trunk's
// "sip.carrier.example") into an ordered list of peers to try in turn, using NAPTR (transport),
// SRV (port and failover order, RFC 2782) and A/AAAA records. DNS runs off the control loop;
// the answer comes back on it.
//
// Only UDP and TCP are supported: TLS NAPTR/SRV records (SIPS+D2T, _sips._tcp) are skipped and
// sips: targets are refused.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "sip/peer.hpp"

namespace boost::asio {
class io_context;
}  // namespace boost::asio

namespace sb::sip {

struct ResolveRequest {
  std::string host;                    // a name, or a numeric IPv4/IPv6 address (brackets allowed)
  std::optional<std::uint16_t> port;   // the URI's explicit port: A/AAAA only, no NAPTR or SRV
  std::optional<Transport> transport;  // the URI's ;transport=: no NAPTR, SRV for it only
  bool secure = false;                 // sips: needs TLS, which is not supported: an error
};

// --- What DNS said, and the pure RFC 3263 ordering over it (no I/O, unit-testable) ---

struct NaptrRecord {
  std::uint16_t order = 0;
  std::uint16_t preference = 0;
  std::string flags;        // "s": the replacement is an SRV name (the only kind SIP uses)
  std::string service;      // "SIP+D2U" (UDP), "SIP+D2T" (TCP); others are skipped
  std::string replacement;  // e.g. "_sip._udp.carrier.example"
};

struct SrvRecord {
  std::uint16_t priority = 0;
  std::uint16_t weight = 0;
  std::uint16_t port = 0;
  std::string target;  // a host name; "" or "." means the service is not offered (RFC 2782)
};

// The records collected for one request. Keys are the names as queried.
struct DnsRecords {
  std::vector<NaptrRecord> naptr;                             // of the request's host
  std::map<std::string, std::vector<SrvRecord>> srv;          // by SRV name queried
  std::map<std::string, std::vector<std::string>> addresses;  // by host: numeric, IPv4 first
};

// One SRV name to query and the transport its targets use.
struct SrvQuery {
  Transport transport = Transport::kUdp;
  std::string name;  // "_sip._udp.carrier.example" or a NAPTR replacement
  bool operator==(const SrvQuery&) const = default;
};

// A uniform random integer in [0, upTo]; injected so that tests are deterministic.
using RandomSource = std::function<std::uint32_t(std::uint32_t upTo)>;

// The numeric address of `host` in canonical form ("::1" for "[0:0::1]"); nullopt for a name.
std::optional<std::string> numericHost(const std::string& host);

// §4.1: the SRV names to query, most preferred first. Empty when no SRV lookup applies (numeric
// host, explicit port, sips). An explicit transport gives its one SRV name; otherwise the usable
// NAPTR records (flags "s", SIP+D2U/SIP+D2T, in order then preference) give theirs; with none
// usable, _sip._udp then _sip._tcp of the host.
std::vector<SrvQuery> srvQueries(const ResolveRequest& request,
                                 const std::vector<NaptrRecord>& naptr);

// The host names whose A/AAAA records the targets need: the SRV targets of `srvQueries`, or the
// request's host when there is an explicit port or when no SRV records were found at all.
std::vector<std::string> hostsToResolve(const ResolveRequest& request, const DnsRecords& records);

// RFC 2782 order: priority ascending; within a priority, repeated weighted random selection
// (weight-0 records first in the running sum, so they are chosen rarely but not never).
std::vector<SrvRecord> orderSrv(std::vector<SrvRecord> records, const RandomSource& random);

// §4.1 + §4.2: the peers to try in turn. Each SRV target (in RFC 2782 order, transports in
// `srvQueries` order) contributes its IPv4 then IPv6 addresses on the SRV port; with no SRV
// records at all, the host's addresses on port 5060 with the preferred transport (UDP unless
// forced). Targets without addresses are dropped; duplicates keep their first place.
std::vector<Peer> orderTargets(const ResolveRequest& request, const DnsRecords& records,
                               const RandomSource& random);

// --- The resolver ---

class Resolver {
 public:
  virtual ~Resolver() = default;
  using Done = std::function<void(Result<std::vector<Peer>>)>;
  // Resolves `request` and calls `done` exactly once with a non-empty list of peers or an
  // Error: kInvalidArgument (empty host, sips), kNotFound (DNS has no usable records; the
  // message names the host), kUnavailable (DNS timed out or failed). `done` runs on the
  // resolver's io_context, never inline from resolve(). Call on that io_context's thread.
  virtual void resolve(ResolveRequest request, Done done) = 0;
};

// c-ares on a thread of its own ("sb-resolver"): resolve() queues the request and wakes that
// thread, which runs the NAPTR -> SRV -> A/AAAA lookups (each stage's queries in parallel) and
// posts the result to the io_context. Until then the request counts as work of the io_context,
// so run() does not return under it. /etc/hosts is consulted for A/AAAA before DNS.
class AresResolver final : public Resolver {
 public:
  struct Options {
    // DNS servers as "127.0.0.1", "127.0.0.1:5353", "[::1]:5353"; empty: /etc/resolv.conf's.
    std::vector<std::string> servers;
    // Per DNS query attempt (c-ares doubles it on each retry round over the servers).
    std::chrono::milliseconds timeout{2000};
    int tries = 2;
  };

  // Construct and destroy on the io_context's thread; `io` must outlive the resolver.
  // Reads /etc/resolv.conf (start-up only). Throws std::runtime_error when c-ares cannot be
  // initialised or a server is malformed.
  AresResolver(boost::asio::io_context& io, const Options& options);
  // Cancels outstanding lookups; their `done` callbacks are never called, not even later.
  ~AresResolver() override;
  AresResolver(const AresResolver&) = delete;
  AresResolver& operator=(const AresResolver&) = delete;

  void resolve(ResolveRequest request, Done done) override;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace sb::sip
