#include "sip/resolver.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <condition_variable>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <arpa/inet.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/udp.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

namespace sb::sip {
namespace {

namespace asio = boost::asio;
using asio::ip::udp;
using namespace std::chrono_literals;

// "UDP 192.0.2.1:5060", "TCP [2001:db8::1]:5070": readable in assertion failures.
std::vector<std::string> describe(const std::vector<Peer>& peers) {
  std::vector<std::string> out;
  for (const auto& peer : peers) {
    bool v6 = peer.address.find(':') != std::string::npos;
    out.push_back(fmt::format("{} {}{}{}:{}", transportName(peer.transport), v6 ? "[" : "",
                              peer.address, v6 ? "]" : "", peer.port));
  }
  return out;
}

std::uint32_t alwaysLowest(std::uint32_t) {
  return 0;
}
std::uint32_t alwaysHighest(std::uint32_t upTo) {
  return upTo;
}

SrvRecord srv(std::uint16_t priority, std::uint16_t weight, std::uint16_t port,
              std::string target) {
  return {priority, weight, port, std::move(target)};
}

NaptrRecord naptr(std::uint16_t order, std::uint16_t preference, std::string service,
                  std::string replacement, std::string flags = "s") {
  return {order, preference, std::move(flags), std::move(service), std::move(replacement)};
}

std::vector<std::string> targetsOf(const std::vector<SrvRecord>& records) {
  std::vector<std::string> out;
  out.reserve(records.size());
  for (const auto& r : records)
    out.push_back(r.target);
  return out;
}

// --- RFC 2782 SRV order ---

TEST(SrvOrderTest, LowerPriorityComesFirstWhateverTheWeights) {
  auto ordered = orderSrv({srv(20, 100, 5060, "c"), srv(10, 0, 5060, "b"), srv(30, 1, 5060, "d"),
                           srv(10, 5, 5060, "a")},
                          alwaysHighest);
  EXPECT_EQ(targetsOf(ordered), (std::vector<std::string>{"a", "b", "c", "d"}));
}

TEST(SrvOrderTest, WeightedChoiceFollowsTheRunningSumWithZeroWeightsFirst) {
  std::vector<SrvRecord> records{srv(10, 10, 5060, "ten"), srv(10, 0, 5060, "zero"),
                                 srv(10, 20, 5060, "twenty")};
  // Running sums in the arranged order zero(0), ten(10), twenty(30): a draw of 0 takes the
  // weight-0 record, the top draw takes the last record.
  EXPECT_EQ(targetsOf(orderSrv(records, alwaysLowest)),
            (std::vector<std::string>{"zero", "ten", "twenty"}));
  EXPECT_EQ(targetsOf(orderSrv(records, alwaysHighest)),
            (std::vector<std::string>{"twenty", "ten", "zero"}));
}

TEST(SrvOrderTest, HeavierRecordsComeFirstInProportionToTheirWeight) {
  std::mt19937 engine(20240601);
  RandomSource random = [&](std::uint32_t upTo) {
    return std::uniform_int_distribution<std::uint32_t>(0, upTo)(engine);
  };
  std::vector<SrvRecord> records{srv(1, 60, 5060, "sixty"), srv(1, 30, 5060, "thirty"),
                                 srv(1, 10, 5060, "ten")};
  std::map<std::string, int> first;
  constexpr int kRounds = 20000;
  for (int i = 0; i < kRounds; ++i) {
    auto ordered = orderSrv(records, random);
    ASSERT_EQ(ordered.size(), 3U);
    ++first[ordered.front().target];
  }
  // Expected shares 60/30/10 % (exactly 60/101 etc. because the draw includes 0).
  EXPECT_NEAR(first["sixty"] / double(kRounds), 0.60, 0.02);
  EXPECT_NEAR(first["thirty"] / double(kRounds), 0.30, 0.02);
  EXPECT_NEAR(first["ten"] / double(kRounds), 0.10, 0.02);
}

TEST(SrvOrderTest, OutOfRangeRandomSourceIsClamped) {
  auto ordered = orderSrv({srv(1, 5, 5060, "a"), srv(1, 5, 5060, "b")},
                          [](std::uint32_t) { return 1000000U; });
  EXPECT_EQ(targetsOf(ordered), (std::vector<std::string>{"b", "a"}));
}

// --- RFC 3263 §4.1 transport selection ---

TEST(SrvQueriesTest, NaptrRecordsGoByOrderThenPreference) {
  ResolveRequest request{"carrier.test"};
  auto queries = srvQueries(request, {naptr(20, 10, "SIP+D2U", "_sip._udp.carrier.test"),
                                      naptr(10, 50, "SIP+D2T", "_sip._tcp.b.carrier.test"),
                                      naptr(10, 20, "sip+d2t", "_sip._tcp.a.carrier.test")});
  EXPECT_EQ(queries, (std::vector<SrvQuery>{{Transport::kTcp, "_sip._tcp.a.carrier.test"},
                                            {Transport::kTcp, "_sip._tcp.b.carrier.test"},
                                            {Transport::kUdp, "_sip._udp.carrier.test"}}));
}

TEST(SrvQueriesTest, UnsupportedNaptrRecordsAreSkipped) {
  ResolveRequest request{"carrier.test"};
  auto queries = srvQueries(request, {naptr(10, 10, "SIPS+D2T", "_sips._tcp.carrier.test"),
                                      naptr(10, 20, "SIP+D2S", "_sip._sctp.carrier.test"),
                                      naptr(10, 30, "E2U+sip", "!^.*$!sip:x@y!", "u"),
                                      naptr(10, 40, "SIP+D2U", "_sip._udp.carrier.test", "a"),
                                      naptr(10, 50, "SIP+D2U", "."),
                                      naptr(20, 10, "SIP+D2U", "_sip._udp.carrier.test", "S")});
  EXPECT_EQ(queries, (std::vector<SrvQuery>{{Transport::kUdp, "_sip._udp.carrier.test"}}));
}

TEST(SrvQueriesTest, WithoutUsableNaptrBothTransportsAreQueriedUdpFirst) {
  ResolveRequest request{"carrier.test"};
  std::vector<SrvQuery> both{{Transport::kUdp, "_sip._udp.carrier.test"},
                             {Transport::kTcp, "_sip._tcp.carrier.test"}};
  EXPECT_EQ(srvQueries(request, {}), both);
  EXPECT_EQ(srvQueries(request, {naptr(10, 10, "SIPS+D2T", "_sips._tcp.carrier.test")}), both);
}

TEST(SrvQueriesTest, ExplicitTransportQueriesOnlyItsOwnSrvName) {
  ResolveRequest request{"carrier.test", std::nullopt, Transport::kTcp};
  EXPECT_EQ(srvQueries(request, {naptr(10, 10, "SIP+D2U", "_sip._udp.carrier.test")}),
            (std::vector<SrvQuery>{{Transport::kTcp, "_sip._tcp.carrier.test"}}));
}

TEST(SrvQueriesTest, ExplicitPortNumericHostAndSipsNeedNoSrv) {
  EXPECT_TRUE(srvQueries({"carrier.test", 5080}, {}).empty());
  EXPECT_TRUE(srvQueries({"192.0.2.1"}, {}).empty());
  EXPECT_TRUE(srvQueries({"2001:db8::1"}, {}).empty());
  EXPECT_TRUE(srvQueries({"carrier.test", std::nullopt, std::nullopt, true}, {}).empty());
}

TEST(NumericHostTest, AddressesAreCanonicalAndNamesAreNot) {
  EXPECT_EQ(numericHost("192.0.2.1"), "192.0.2.1");
  EXPECT_EQ(numericHost("2001:DB8:0:0::1"), "2001:db8::1");
  EXPECT_EQ(numericHost("[::1]"), "::1");
  EXPECT_EQ(numericHost("carrier.test"), std::nullopt);
  EXPECT_EQ(numericHost("192.0.2"), std::nullopt);
  EXPECT_EQ(numericHost("[192.0.2.1]"), std::nullopt);
  EXPECT_EQ(numericHost(""), std::nullopt);
}

// --- Ordering the peers ---

TEST(OrderTargetsTest, NaptrThenSrvThenIpv4BeforeIpv6) {
  DnsRecords records;
  records.naptr = {naptr(20, 10, "SIP+D2U", "_sip._udp.carrier.test"),
                   naptr(10, 10, "SIP+D2T", "_sip._tcp.carrier.test")};
  records.srv["_sip._tcp.carrier.test"] = {srv(20, 0, 5070, "b.carrier.test"),
                                           srv(10, 0, 5060, "a.carrier.test")};
  records.srv["_sip._udp.carrier.test"] = {srv(10, 0, 5062, "a.carrier.test")};
  records.addresses["a.carrier.test"] = {"192.0.2.1", "2001:db8::a"};
  records.addresses["b.carrier.test"] = {"192.0.2.2"};
  EXPECT_EQ(describe(orderTargets({"carrier.test"}, records, alwaysLowest)),
            (std::vector<std::string>{"TCP 192.0.2.1:5060", "TCP [2001:db8::a]:5060",
                                      "TCP 192.0.2.2:5070", "UDP 192.0.2.1:5062",
                                      "UDP [2001:db8::a]:5062"}));
}

TEST(OrderTargetsTest, DuplicateTargetsKeepTheirFirstPlace) {
  DnsRecords records;
  records.srv["_sip._udp.carrier.test"] = {srv(10, 0, 5060, "a.carrier.test"),
                                           srv(20, 0, 5060, "alias.carrier.test"),
                                           srv(30, 0, 5060, "b.carrier.test")};
  records.addresses["a.carrier.test"] = {"192.0.2.1"};
  records.addresses["alias.carrier.test"] = {"192.0.2.1", "192.0.2.3"};
  records.addresses["b.carrier.test"] = {"192.0.2.2", "192.0.2.3"};
  EXPECT_EQ(
      describe(orderTargets({"carrier.test"}, records, alwaysLowest)),
      (std::vector<std::string>{"UDP 192.0.2.1:5060", "UDP 192.0.2.3:5060", "UDP 192.0.2.2:5060"}));
}

TEST(OrderTargetsTest, SrvTargetsWithoutAddressesAreDropped) {
  DnsRecords records;
  records.srv["_sip._udp.carrier.test"] = {srv(10, 0, 5060, "gone.carrier.test"),
                                           srv(20, 0, 5080, "b.carrier.test")};
  records.addresses["b.carrier.test"] = {"192.0.2.2"};
  records.addresses["carrier.test"] = {"192.0.2.100"};  // not used: SRV records exist
  EXPECT_EQ(describe(orderTargets({"carrier.test"}, records, alwaysLowest)),
            (std::vector<std::string>{"UDP 192.0.2.2:5080"}));
}

TEST(OrderTargetsTest, NoSrvFallsBackToTheHostOnPort5060WithThePreferredTransport) {
  DnsRecords records;
  records.addresses["carrier.test"] = {"192.0.2.1", "2001:db8::1"};
  EXPECT_EQ(describe(orderTargets({"carrier.test"}, records, alwaysLowest)),
            (std::vector<std::string>{"UDP 192.0.2.1:5060", "UDP [2001:db8::1]:5060"}));
  // NAPTR named TCP first but its SRV name has no records: TCP on 5060.
  records.naptr = {naptr(10, 10, "SIP+D2T", "_sip._tcp.carrier.test"),
                   naptr(20, 10, "SIP+D2U", "_sip._udp.carrier.test")};
  EXPECT_EQ(describe(orderTargets({"carrier.test"}, records, alwaysLowest)),
            (std::vector<std::string>{"TCP 192.0.2.1:5060", "TCP [2001:db8::1]:5060"}));
  EXPECT_EQ(hostsToResolve({"carrier.test"}, records), (std::vector<std::string>{"carrier.test"}));
}

TEST(OrderTargetsTest, DotTargetMeansNoServiceAndNoFallback) {
  DnsRecords records;
  records.srv["_sip._udp.carrier.test"] = {srv(0, 0, 0, ".")};
  records.addresses["carrier.test"] = {"192.0.2.1"};
  EXPECT_TRUE(orderTargets({"carrier.test"}, records, alwaysLowest).empty());
  EXPECT_TRUE(hostsToResolve({"carrier.test"}, records).empty());
}

TEST(OrderTargetsTest, ExplicitPortUsesTheHostsAddresses) {
  DnsRecords records;
  records.srv["_sip._udp.carrier.test"] = {srv(10, 0, 5060, "a.carrier.test")};
  records.addresses["carrier.test"] = {"192.0.2.1"};
  EXPECT_EQ(describe(orderTargets({"carrier.test", 5080, Transport::kTcp}, records, alwaysLowest)),
            (std::vector<std::string>{"TCP 192.0.2.1:5080"}));
  EXPECT_EQ(hostsToResolve({"carrier.test", 5080}, records),
            (std::vector<std::string>{"carrier.test"}));
}

TEST(OrderTargetsTest, HostsToResolveAreTheSrvTargetsOnce) {
  DnsRecords records;
  records.srv["_sip._udp.carrier.test"] = {srv(10, 0, 5060, "a.carrier.test"),
                                           srv(20, 0, 5060, "b.carrier.test")};
  records.srv["_sip._tcp.carrier.test"] = {srv(10, 0, 5060, "a.carrier.test")};
  EXPECT_EQ(hostsToResolve({"carrier.test"}, records),
            (std::vector<std::string>{"a.carrier.test", "b.carrier.test"}));
}

TEST(OrderTargetsTest, NumericHostsNeedNoRecords) {
  EXPECT_EQ(describe(orderTargets({"192.0.2.7"}, {}, alwaysLowest)),
            (std::vector<std::string>{"UDP 192.0.2.7:5060"}));
  EXPECT_EQ(describe(orderTargets({"[2001:db8::7]", 5070, Transport::kTcp}, {}, alwaysLowest)),
            (std::vector<std::string>{"TCP [2001:db8::7]:5070"}));
}

// --- A fake authoritative DNS server for "carrier.test" on 127.0.0.1, port 0 ---

constexpr std::uint16_t kTypeA = 1;
constexpr std::uint16_t kTypeAaaa = 28;
constexpr std::uint16_t kTypeSrv = 33;
constexpr std::uint16_t kTypeNaptr = 35;

void putU16(std::string& out, unsigned value) {
  out.push_back(static_cast<char>((value >> 8) & 0xff));
  out.push_back(static_cast<char>(value & 0xff));
}

std::string encodeName(const std::string& name) {
  std::string out;
  std::size_t start = 0;
  while (start < name.size()) {
    auto dot = name.find('.', start);
    if (dot == std::string::npos) dot = name.size();
    out.push_back(static_cast<char>(dot - start));
    out += name.substr(start, dot - start);
    start = dot + 1;
  }
  out.push_back('\0');
  return out;
}

std::string characterString(const std::string& text) {
  return std::string(1, static_cast<char>(text.size())) + text;
}

class FakeDns {
 public:
  FakeDns() : socket_(context_, udp::endpoint(asio::ip::make_address("127.0.0.1"), 0)) {
    receive();
    thread_ = std::thread([this] { context_.run(); });
  }
  ~FakeDns() {
    context_.stop();
    thread_.join();
  }

  std::string server() const {
    return fmt::format("127.0.0.1:{}", socket_.local_endpoint().port());
  }

  void a(const std::string& name, const std::string& address) {
    std::string rdata(4, '\0');
    inet_pton(AF_INET, address.c_str(), rdata.data());
    add(name, kTypeA, rdata);
  }
  void aaaa(const std::string& name, const std::string& address) {
    std::string rdata(16, '\0');
    inet_pton(AF_INET6, address.c_str(), rdata.data());
    add(name, kTypeAaaa, rdata);
  }
  void srv(const std::string& name, unsigned priority, unsigned weight, unsigned port,
           const std::string& target) {
    std::string rdata;
    putU16(rdata, priority);
    putU16(rdata, weight);
    putU16(rdata, port);
    add(name, kTypeSrv, rdata + encodeName(target));
  }
  void naptr(const std::string& name, unsigned order, unsigned preference,
             const std::string& service, const std::string& replacement) {
    std::string rdata;
    putU16(rdata, order);
    putU16(rdata, preference);
    rdata += characterString("s") + characterString(service) + characterString("");
    add(name, kTypeNaptr, rdata + encodeName(replacement));
  }
  // The name exists (answers NODATA for types it lacks, not NXDOMAIN).
  void exists(const std::string& name) {
    std::lock_guard lock(mutex_);
    zone_[name];
  }
  // Receives queries and never answers them.
  void silence() {
    std::lock_guard lock(mutex_);
    silent_ = true;
  }

  // Answers SERVFAIL for this name, whatever the type.
  void failing(const std::string& name) {
    std::lock_guard lock(mutex_);
    failing_.push_back(name);
  }

  // "NAPTR carrier.test", "A a.carrier.test", ... in arrival order.
  std::vector<std::string> queries() const {
    std::lock_guard lock(mutex_);
    return queries_;
  }
  bool waitForQueries(std::size_t count, std::chrono::milliseconds limit) const {
    std::unique_lock lock(mutex_);
    return arrived_.wait_for(lock, limit, [&] { return queries_.size() >= count; });
  }

 private:
  struct Record {
    std::uint16_t type;
    std::string rdata;
  };

  void add(const std::string& name, std::uint16_t type, std::string rdata) {
    std::lock_guard lock(mutex_);
    zone_[name].push_back({type, std::move(rdata)});
  }

  void receive() {
    socket_.async_receive_from(asio::buffer(buffer_), from_, [this](auto error, std::size_t n) {
      if (error) return;
      if (auto answer = answerFor(std::string(buffer_.data(), n))) {
        boost::system::error_code ignored;
        socket_.send_to(asio::buffer(*answer), from_, 0, ignored);
      }
      receive();
    });
  }

  std::optional<std::string> answerFor(const std::string& query) {
    if (query.size() < 12) return std::nullopt;
    std::size_t pos = 12;
    std::string name;
    while (pos < query.size() && query[pos] != '\0') {
      auto length = static_cast<unsigned char>(query[pos]);
      if (!name.empty()) name += '.';
      name += query.substr(pos + 1, length);
      pos += 1 + length;
    }
    pos += 1;  // the root label
    if (pos + 4 > query.size()) return std::nullopt;
    std::uint16_t type = static_cast<std::uint16_t>((static_cast<unsigned char>(query[pos]) << 8) |
                                                    static_cast<unsigned char>(query[pos + 1]));
    std::string question = query.substr(12, pos + 4 - 12);
    std::transform(name.begin(), name.end(), name.begin(), ::tolower);

    std::lock_guard lock(mutex_);
    queries_.push_back(fmt::format("{} {}", typeName(type), name));
    arrived_.notify_all();
    if (silent_) return std::nullopt;
    auto found = zone_.find(name);
    std::vector<const Record*> matches;
    if (found != zone_.end()) {
      for (const auto& record : found->second) {
        if (record.type == type) matches.push_back(&record);
      }
    }
    std::string out = query.substr(0, 2);  // the id
    bool fails = std::find(failing_.begin(), failing_.end(), name) != failing_.end();
    if (fails) matches.clear();
    // SERVFAIL when told so, NXDOMAIN for names not in the zone.
    unsigned rcode = fails ? 2 : found == zone_.end() ? 3 : 0;
    putU16(out, 0x8000 | 0x0400 | 0x0100 | 0x0080 | rcode);  // QR AA RD RA
    putU16(out, 1);
    putU16(out, static_cast<unsigned>(matches.size()));
    putU16(out, 0);
    putU16(out, 0);
    out += question;
    for (const auto* record : matches) {
      putU16(out, 0xc00c);  // the owner is the question's name
      putU16(out, record->type);
      putU16(out, 1);  // IN
      putU16(out, 0);
      putU16(out, 60);  // TTL
      putU16(out, static_cast<unsigned>(record->rdata.size()));
      out += record->rdata;
    }
    return out;
  }

  static std::string typeName(std::uint16_t type) {
    switch (type) {
      case kTypeA:
        return "A";
      case kTypeAaaa:
        return "AAAA";
      case kTypeSrv:
        return "SRV";
      case kTypeNaptr:
        return "NAPTR";
      default:
        return std::to_string(type);
    }
  }

  asio::io_context context_;
  udp::socket socket_;
  udp::endpoint from_;
  std::array<char, 1500> buffer_{};
  mutable std::mutex mutex_;
  mutable std::condition_variable arrived_;
  std::map<std::string, std::vector<Record>> zone_;
  std::vector<std::string> failing_;
  std::vector<std::string> queries_;
  bool silent_ = false;
  std::thread thread_;
};

// --- The real resolver against the fake server ---

class AresResolverTest : public ::testing::Test {
 protected:
  std::unique_ptr<AresResolver> makeResolver(std::chrono::milliseconds timeout = 1000ms,
                                             int tries = 1) {
    return std::make_unique<AresResolver>(io_,
                                          AresResolver::Options{{dns_.server()}, timeout, tries});
  }

  // Resolves on a fresh resolver and runs the loop until the answer came: the pending lookup
  // keeps run() going, so no sleeping.
  Result<std::vector<Peer>> resolve(ResolveRequest request, AresResolver* resolver = nullptr) {
    std::unique_ptr<AresResolver> own;
    if (resolver == nullptr) {
      own = makeResolver();
      resolver = own.get();
    }
    std::optional<Result<std::vector<Peer>>> outcome;
    int calls = 0;
    std::thread::id calledOn;
    resolver->resolve(std::move(request), [&](Result<std::vector<Peer>> result) {
      ++calls;
      calledOn = std::this_thread::get_id();
      outcome.emplace(std::move(result));
    });
    EXPECT_EQ(calls, 0) << "done ran inline from resolve()";
    io_.run_for(10s);
    io_.restart();
    EXPECT_EQ(calls, 1);
    EXPECT_EQ(calledOn, std::this_thread::get_id());
    if (!outcome) return Error::notFound("test: no callback");
    return std::move(*outcome);
  }

  std::vector<std::string> peersOf(ResolveRequest request) {
    auto result = resolve(std::move(request));
    EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
    return result.ok() ? describe(*result) : std::vector<std::string>{};
  }

  asio::io_context io_;
  FakeDns dns_;
};

TEST_F(AresResolverTest, NumericIpv4HostIsAnsweredWithoutDns) {
  EXPECT_EQ(peersOf({"192.0.2.10"}), (std::vector<std::string>{"UDP 192.0.2.10:5060"}));
  EXPECT_TRUE(dns_.queries().empty());
}

TEST_F(AresResolverTest, NumericIpv6HostKeepsExplicitPortAndTransport) {
  EXPECT_EQ(peersOf({"2001:db8::1", 5070, Transport::kTcp}),
            (std::vector<std::string>{"TCP [2001:db8::1]:5070"}));
  EXPECT_EQ(peersOf({"[::1]"}), (std::vector<std::string>{"UDP [::1]:5060"}));
  EXPECT_TRUE(dns_.queries().empty());
}

TEST_F(AresResolverTest, ExplicitPortLooksUpOnlyAddresses) {
  dns_.a("pbx.carrier.test", "192.0.2.1");
  dns_.aaaa("pbx.carrier.test", "2001:db8::1");
  dns_.srv("_sip._udp.pbx.carrier.test", 10, 0, 5060, "other.carrier.test");
  EXPECT_EQ(peersOf({"pbx.carrier.test", 5080}),
            (std::vector<std::string>{"UDP 192.0.2.1:5080", "UDP [2001:db8::1]:5080"}));
  auto queries = dns_.queries();
  std::sort(queries.begin(), queries.end());
  EXPECT_EQ(queries, (std::vector<std::string>{"A pbx.carrier.test", "AAAA pbx.carrier.test"}));
}

TEST_F(AresResolverTest, NaptrLeadsToSrvAndThenToAddresses) {
  dns_.naptr("carrier.test", 20, 10, "SIP+D2U", "_sip._udp.carrier.test");
  dns_.naptr("carrier.test", 10, 10, "SIP+D2T", "_sip._tcp.carrier.test");
  dns_.naptr("carrier.test", 5, 10, "SIPS+D2T", "_sips._tcp.carrier.test");
  dns_.srv("_sip._tcp.carrier.test", 20, 0, 5070, "b.carrier.test");
  dns_.srv("_sip._tcp.carrier.test", 10, 0, 5060, "a.carrier.test");
  dns_.srv("_sip._udp.carrier.test", 10, 0, 5062, "a.carrier.test");
  dns_.srv("_sips._tcp.carrier.test", 10, 0, 5061, "tls.carrier.test");
  dns_.a("a.carrier.test", "192.0.2.1");
  dns_.aaaa("a.carrier.test", "2001:db8::a");
  dns_.a("b.carrier.test", "192.0.2.2");
  dns_.exists("b.carrier.test");
  EXPECT_EQ(peersOf({"carrier.test"}),
            (std::vector<std::string>{"TCP 192.0.2.1:5060", "TCP [2001:db8::a]:5060",
                                      "TCP 192.0.2.2:5070", "UDP 192.0.2.1:5062",
                                      "UDP [2001:db8::a]:5062"}));
  auto queries = dns_.queries();
  ASSERT_FALSE(queries.empty());
  EXPECT_EQ(queries.front(), "NAPTR carrier.test");
  EXPECT_EQ(std::count(queries.begin(), queries.end(), "SRV _sips._tcp.carrier.test"), 0);
  EXPECT_EQ(queries.size(), 7U);  // NAPTR, 2 SRV, A + AAAA for a and b
}

TEST_F(AresResolverTest, SrvWithoutNaptrPrefersUdp) {
  dns_.exists("carrier.test");
  dns_.srv("_sip._tcp.carrier.test", 10, 0, 5060, "tcp.carrier.test");
  dns_.srv("_sip._udp.carrier.test", 10, 0, 5060, "udp.carrier.test");
  dns_.a("tcp.carrier.test", "192.0.2.6");
  dns_.a("udp.carrier.test", "192.0.2.17");
  EXPECT_EQ(peersOf({"carrier.test"}),
            (std::vector<std::string>{"UDP 192.0.2.17:5060", "TCP 192.0.2.6:5060"}));
}

TEST_F(AresResolverTest, ExplicitTransportSkipsNaptrAndTheOtherTransport) {
  dns_.naptr("carrier.test", 10, 10, "SIP+D2U", "_sip._udp.carrier.test");
  dns_.srv("_sip._tcp.carrier.test", 10, 0, 5090, "tcp.carrier.test");
  dns_.srv("_sip._udp.carrier.test", 10, 0, 5060, "udp.carrier.test");
  dns_.a("tcp.carrier.test", "192.0.2.6");
  dns_.a("udp.carrier.test", "192.0.2.17");
  EXPECT_EQ(peersOf({"carrier.test", std::nullopt, Transport::kTcp}),
            (std::vector<std::string>{"TCP 192.0.2.6:5090"}));
  auto queries = dns_.queries();
  std::sort(queries.begin(), queries.end());
  EXPECT_EQ(queries, (std::vector<std::string>{"A tcp.carrier.test", "AAAA tcp.carrier.test",
                                               "SRV _sip._tcp.carrier.test"}));
}

TEST_F(AresResolverTest, HostWithoutSrvFallsBackToItsAddressOnPort5060) {
  dns_.a("plain.carrier.test", "192.0.2.33");
  EXPECT_EQ(peersOf({"plain.carrier.test"}), (std::vector<std::string>{"UDP 192.0.2.33:5060"}));
  auto queries = dns_.queries();
  std::sort(queries.begin(), queries.end());
  EXPECT_EQ(queries,
            (std::vector<std::string>{
                "A plain.carrier.test", "AAAA plain.carrier.test", "NAPTR plain.carrier.test",
                "SRV _sip._tcp.plain.carrier.test", "SRV _sip._udp.plain.carrier.test"}));
}

TEST_F(AresResolverTest, SrvTargetWithoutAddressIsDropped) {
  dns_.srv("_sip._udp.carrier.test", 10, 0, 5060, "gone.carrier.test");
  dns_.srv("_sip._udp.carrier.test", 20, 0, 5080, "b.carrier.test");
  dns_.a("b.carrier.test", "192.0.2.2");
  EXPECT_EQ(peersOf({"carrier.test"}), (std::vector<std::string>{"UDP 192.0.2.2:5080"}));
}

TEST_F(AresResolverTest, UnknownDomainIsNotFoundAndNamesTheHost) {
  auto result = resolve({"nowhere.carrier.test"});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kNotFound);
  EXPECT_NE(result.error().message.find("nowhere.carrier.test"), std::string::npos)
      << result.error().message;
}

TEST_F(AresResolverTest, SrvTargetsWithoutAnyAddressAreNotFound) {
  dns_.srv("_sip._udp.carrier.test", 10, 0, 5060, "gone.carrier.test");
  auto result = resolve({"carrier.test"});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kNotFound);
}

TEST_F(AresResolverTest, SilentServerTimesOutAfterTheConfiguredTimeout) {
  dns_.silence();
  auto resolver = makeResolver(200ms, 1);
  auto started = std::chrono::steady_clock::now();
  auto result = resolve({"carrier.test"}, resolver.get());
  auto elapsed = std::chrono::steady_clock::now() - started;
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kUnavailable);
  EXPECT_NE(result.error().message.find("carrier.test"), std::string::npos);
  EXPECT_GE(elapsed, 190ms);
  EXPECT_LT(elapsed, 1500ms);  // one attempt of the NAPTR query, not a chain of fallbacks
  EXPECT_EQ(dns_.queries(), (std::vector<std::string>{"NAPTR carrier.test"}));
}

TEST_F(AresResolverTest, FailedNaptrLookupIsUnavailableRatherThanGuessed) {
  dns_.failing("carrier.test");
  dns_.srv("_sip._udp.carrier.test", 10, 0, 5060, "a.carrier.test");
  dns_.a("a.carrier.test", "192.0.2.1");
  auto result = resolve({"carrier.test"});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kUnavailable);
  EXPECT_EQ(dns_.queries(), (std::vector<std::string>{"NAPTR carrier.test"}));
}

TEST_F(AresResolverTest, OneFailedSrvLookupLeavesTheOtherTransport) {
  dns_.exists("carrier.test");
  dns_.failing("_sip._udp.carrier.test");
  dns_.srv("_sip._tcp.carrier.test", 10, 0, 5060, "a.carrier.test");
  dns_.a("a.carrier.test", "192.0.2.1");
  EXPECT_EQ(peersOf({"carrier.test"}), (std::vector<std::string>{"TCP 192.0.2.1:5060"}));
}

TEST_F(AresResolverTest, FailedSrvLookupsAreUnavailableRatherThanFallingBackToPort5060) {
  dns_.exists("carrier.test");
  dns_.a("carrier.test", "192.0.2.1");
  dns_.failing("_sip._udp.carrier.test");
  auto result = resolve({"carrier.test"});
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ErrorCode::kUnavailable);
}

TEST_F(AresResolverTest, SipsAndEmptyHostsAreRefusedWithoutDns) {
  auto sips = resolve({"carrier.test", std::nullopt, std::nullopt, true});
  ASSERT_FALSE(sips.ok());
  EXPECT_EQ(sips.error().code, ErrorCode::kInvalidArgument);
  auto empty = resolve({""});
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, ErrorCode::kInvalidArgument);
  EXPECT_TRUE(dns_.queries().empty());
}

TEST_F(AresResolverTest, ConcurrentRequestsEachGetTheirOwnAnswer) {
  dns_.a("one.carrier.test", "192.0.2.1");
  dns_.a("two.carrier.test", "192.0.2.2");
  auto resolver = makeResolver();
  std::map<std::string, std::vector<std::string>> answers;
  int calls = 0;
  for (std::string host : {"one.carrier.test", "two.carrier.test", "192.0.2.3"}) {
    resolver->resolve({host, 5060}, [&, host](Result<std::vector<Peer>> result) {
      ++calls;
      ASSERT_TRUE(result.ok()) << result.error().message;
      answers[host] = describe(*result);
    });
  }
  io_.run_for(10s);
  EXPECT_EQ(calls, 3);
  EXPECT_EQ(answers["one.carrier.test"], (std::vector<std::string>{"UDP 192.0.2.1:5060"}));
  EXPECT_EQ(answers["two.carrier.test"], (std::vector<std::string>{"UDP 192.0.2.2:5060"}));
  EXPECT_EQ(answers["192.0.2.3"], (std::vector<std::string>{"UDP 192.0.2.3:5060"}));
}

TEST_F(AresResolverTest, DestroyingTheResolverCancelsAQueryInFlight) {
  dns_.silence();
  auto resolver = makeResolver(5000ms, 1);
  int calls = 0;
  resolver->resolve({"carrier.test"}, [&](const Result<std::vector<Peer>>&) { ++calls; });
  ASSERT_TRUE(dns_.waitForQueries(1, 5s));  // the NAPTR query is on the wire
  auto started = std::chrono::steady_clock::now();
  resolver.reset();
  // With the lookup cancelled nothing keeps the loop busy: run() returns at once.
  io_.run_for(10s);
  EXPECT_LT(std::chrono::steady_clock::now() - started, 2s);
  EXPECT_EQ(calls, 0);
}

TEST_F(AresResolverTest, DestroyingTheResolverDropsAnAnswerNotDeliveredYet) {
  auto resolver = makeResolver();
  int calls = 0;
  resolver->resolve({"192.0.2.1"}, [&](const Result<std::vector<Peer>>&) { ++calls; });
  resolver.reset();  // the answer is already posted to the loop
  io_.run_for(10s);
  EXPECT_EQ(calls, 0);
}

TEST_F(AresResolverTest, DoneMayDestroyTheResolver) {
  dns_.a("one.carrier.test", "192.0.2.1");
  auto resolver = makeResolver();
  int calls = 0;
  resolver->resolve({"one.carrier.test", 5060}, [&](const Result<std::vector<Peer>>& result) {
    ++calls;
    EXPECT_TRUE(result.ok());
    resolver.reset();
  });
  io_.run_for(10s);
  EXPECT_EQ(calls, 1);
  EXPECT_EQ(resolver, nullptr);
}

TEST_F(AresResolverTest, MalformedServerIsRefusedAtConstruction) {
  EXPECT_THROW(AresResolver(io_, AresResolver::Options{{"not a server"}}), std::runtime_error);
}

TEST_F(AresResolverTest, HostsFileEntriesWinOverDns) {
  // c-ares 1.18 reads /etc/hosts itself (CARES_HOSTS only redirects ares_getaddrinfo), so this
  // uses the localhost entry every Linux system has.
  std::ifstream hosts("/etc/hosts");
  std::string line;
  bool listed = false;
  while (std::getline(hosts, line)) {
    listed =
        listed || (line.rfind("127.0.0.1", 0) == 0 && line.find("localhost") != std::string::npos);
  }
  if (!listed) GTEST_SKIP() << "/etc/hosts has no 127.0.0.1 localhost entry";
  dns_.a("localhost", "192.0.2.1");
  auto result = resolve({"localhost", 5080});
  ASSERT_TRUE(result.ok()) << result.error().message;
  auto peers = describe(*result);
  ASSERT_FALSE(peers.empty());
  EXPECT_EQ(peers.front(), "UDP 127.0.0.1:5080");
  EXPECT_EQ(std::count(peers.begin(), peers.end(), "UDP 192.0.2.1:5080"), 0);
  EXPECT_TRUE(dns_.queries().empty());
}

}  // namespace
}  // namespace sb::sip
