// Calls to the contact center's service numbers through the real SIP core, transactions and user
// agent on fake timers, with a real media engine on loopback: IVR flows, queues, the ACD's
// offers to the agents' phones, and the call records the calls leave.
//
// The test's thread is the control loop. The media engine reports on its worker thread: what it
// hands over through `post` (the legs' last statistics) waits in a queue that the test runs
// (`runUntil`), never behind a sleep. Prompt ends (onPlayed) and dead phones (onMediaSilent) are
// reported to the contact center by the tests themselves, so that nothing races the flow; digits
// come from SIP INFO, from `onDigit`, and in one test from real RFC 4733 packets.

#include "calls/contact_center.hpp"

#include <algorithm>
#include <array>
#include <condition_variable>
#include <deque>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "loopback_rtp.hpp"
#include "media/rtp.hpp"
#include "media/telephone_event.hpp"
#include "recording_sender.hpp"
#include "sdp/sdp.hpp"
#include "sip/core.hpp"
#include "sip/headers.hpp"
#include "sip/transactions.hpp"

namespace sb::calls {
namespace {

using namespace std::chrono_literals;
using acd::AgentActivity;
using acd::AgentStatus;
using config::FlowNode;
using sip::HeaderId;
using sip::Message;
using sip::Peer;
using sip::Transport;
using store::CallEndReason;

using test_support::LoopbackRtp;
using test_support::RecordingSender;

// What other threads hand to the control loop (the test's thread).
class LoopQueue {
 public:
  void post(std::function<void()> work) {
    {
      std::lock_guard lock(mutex_);
      tasks_.push_back(std::move(work));
    }
    wake_.notify_all();
  }
  // Runs posted work until `done()` holds; false when it still does not after `timeout`.
  bool runUntil(const std::function<bool()>& done, std::chrono::milliseconds timeout = 5s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!done()) {
      std::function<void()> task;
      {
        std::unique_lock lock(mutex_);
        if (!wake_.wait_until(lock, deadline, [&] { return !tasks_.empty(); })) return done();
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();
    }
    return true;
  }
  // Drops what is left (the contact center is gone).
  void clear() {
    std::lock_guard lock(mutex_);
    tasks_.clear();
  }

 private:
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
};

// 2026-11-20T10:00:00Z, a Friday.
constexpr store::UnixMillis kStartMillis = 1'795'168'800'000;
constexpr std::string_view kToday = "2026-11-20";
constexpr std::string_view kAnchorAddress = "192.0.2.50";
constexpr std::int64_t kPreSales = 1;
constexpr std::int64_t kAfterSales = 2;
constexpr std::string_view kGroupNumber = "4000";  // straight to After-sales
constexpr std::string_view kFlowNumber = "4100";   // the IVR flow "main"

// SIP ports: caller i at 40000 + i, agent 100x's phone at 41000 + x. Their RTP ports (in the
// SDP; nothing listens there but the DTMF test) are 48000 + i and 49000 + x, outside the
// engine's range (47000-47999).
constexpr std::uint16_t kPhone1001 = 41001;
constexpr std::uint16_t kPhone1002 = 41002;
constexpr std::uint16_t kTrunkPort = 45060;  // the carrier that rings agents' mobiles

std::uint16_t phonePort(const std::string& agent) {
  return static_cast<std::uint16_t>(41000 + std::stoi(agent) % 1000);
}

std::uint16_t phoneRtpPort(std::uint16_t phone) {
  return static_cast<std::uint16_t>(49000 + phone % 1000);
}

std::string callerSdp(std::uint16_t rtpPort) {
  return "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
         "m=audio " +
         std::to_string(rtpPort) +
         " RTP/AVP 0 8 101\r\na=rtpmap:101 telephone-event/8000\r\n"
         "a=fmtp:101 0-15\r\n";
}

// The SDP answer (or re-INVITE offer) of the phone at SIP port `phone`.
std::string phoneSdp(std::uint16_t phone, std::string_view direction = "sendrecv") {
  return "v=0\r\no=- 7 7 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
         "m=audio " +
         std::to_string(phoneRtpPort(phone)) + " RTP/AVP 0\r\na=" + std::string(direction) + "\r\n";
}

std::uint16_t audioPort(const Message& m) {
  auto parsed = sdp::parse(m.body());
  EXPECT_TRUE(parsed.ok()) << m.body();
  return parsed.ok() && !parsed->media.empty() ? parsed->media[0].port : 0;
}

std::string displayName(const Message& m) {
  auto from = sip::parseNameAddr(*m.header(HeaderId::kFrom));
  return from ? std::string(from->displayName) : std::string();
}

std::string fromUser(const Message& m) {
  auto from = sip::parseNameAddr(*m.header(HeaderId::kFrom));
  return from ? std::string(from->uri.user) : std::string();
}

std::string headerOf(const Message& m, std::string_view name) {
  return std::string(m.header(name).value_or(""));
}

FlowNode node(std::string id, FlowNode::Kind kind) {
  FlowNode n;
  n.id = std::move(id);
  n.kind = kind;
  return n;
}

// One caller of the test: its SIP port tells what the server sent it.
struct Caller {
  std::uint16_t port = 0;
  std::string number;
  std::string callId;
  std::string tag;  // the server's To tag, from its 200
  std::uint32_t cseq = 1;
  int branch = 0;
  std::uint16_t rtpPort = 0;
};

class ContactCenterTest : public ::testing::Test {
 protected:
  FakeTimers timers;
  ManualClock wall{kStartMillis / 1000};
  store::UnixMillis wallMs = kStartMillis;
  MetricsRegistry metrics;
  RecordingSender sender;
  sip::SipCore core{metrics, "switchboard-test"};
  sip::TransactionLayer layer{timers, sender, core};
  sip::UserAgent ua{core, layer, sender, timers, sip::TimerSettings{}, sip::UserAgentOptions{}};
  LoopQueue loop;
  std::unique_ptr<media::MediaEngine> engine;
  std::unique_ptr<MediaLegs> legs;
  std::unique_ptr<media::RecordingWriter> writer;  // none: nothing is recorded
  std::filesystem::path dataDir;

  std::map<std::string, std::vector<sip::Binding>> phones;
  std::function<std::optional<TrunkCall>(const std::string&)> dialOut;  // none: no trunk
  std::map<std::string, media::ClipPtr> prompts;  // a name not here is a missing prompt
  std::vector<std::string> promptsAsked;
  std::vector<store::CallRecord> records;
  std::vector<std::pair<std::string, std::int64_t>> afterCallWork;
  std::vector<std::string> saves;  // "record <id>", "acw <id>": what reached the store, in order
  ContactCenterOptions options;
  std::unique_ptr<ContactCenter> center;
  std::deque<Caller> callers;
  std::uint32_t phoneCseq = 100;
  int phoneBranch = 0;

  void SetUp() override {
    // The fake steady clock starts at its epoch, which call control takes for "never": start
    // one second later, as a real clock would be.
    timers.advance(1s);
    engine = std::make_unique<media::MediaEngine>([this] {
      media::MediaEngine::Options o;
      o.address = "127.0.0.1";
      o.firstPort = 47000;
      o.lastPort = 47999;
      o.workers = 1;
      o.onDigit = [this](const media::DigitEvent& digit) {
        loop.post([this, digit] {
          if (center) center->onDigit(digit);
        });
      };
      return o;
    }());
    legs = std::make_unique<MediaLegs>(MediaAnchor{engine.get(), std::string(kAnchorAddress)});
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dataDir = std::filesystem::temp_directory_path() /
              ("sb-contact-center-" + std::string(info->name()) + "-" + std::to_string(::getpid()));
    std::filesystem::remove_all(dataDir);
    std::filesystem::create_directories(dataDir);

    options.acd.ringTimeout = 30s;
    options.acd.afterCallWork = 15s;
    options.acd.announceInterval = 0s;
    options.acd.serviceLevelThreshold = 20s;
    options.groups = {{kPreSales, "Pre-sales"}, {kAfterSales, "After-sales"}};
    options.numbers = {{std::string(kGroupNumber), "", "After-sales", 0},
                       {std::string(kFlowNumber), "main", "", 0}};
    options.schedules = {openAllWeek()};
    options.flows = {mainFlow()};
    options.dataDir = dataDir;
    options.domain = "switchboard.test";

    core.attach(layer);
    core.attachDialogs(ua);
    core.onInvite([this](sip::ServerTxId tx, const Message& invite, const Peer& from) {
      // "sip:4000@switchboard": the number dialled.
      auto uri = invite.requestUri();
      auto user = uri.substr(4, uri.find('@') - 4);
      center->handle(tx, invite, from, std::string(user));
    });
  }

  void TearDown() override {
    center.reset();
    loop.clear();
    writer.reset();
    std::error_code ec;
    std::filesystem::remove_all(dataDir, ec);
  }

  // 24/7 unless `holidays` closes a day.
  static config::ScheduleConfig openAllWeek(std::vector<std::string> holidays = {}) {
    config::ScheduleConfig s;
    s.name = "office";
    s.utcOffsetMinutes = 0;
    for (int day = 0; day < 7; ++day)
      s.hours.push_back({day, 0, 1440});
    s.holidays = std::move(holidays);
    return s;
  }

  // hours (office) -> open: menu, closed: closed-vm; menu 1 -> pre (Pre-sales), 2 -> after
  // (After-sales), failure -> goodbye.
  static config::FlowConfig mainFlow() {
    config::FlowConfig flow;
    flow.name = "main";
    flow.start = "hours";
    auto hours = node("hours", FlowNode::Kind::kHours);
    hours.schedule = "office";
    hours.open = "menu";
    hours.closed = "closed-vm";
    auto menu = node("menu", FlowNode::Kind::kMenu);
    menu.prompt = "menu";
    menu.choices = {{"1", "pre"}, {"2", "after"}};
    menu.timeout = 5s;
    menu.attempts = 3;
    menu.invalidPrompt = "invalid";
    menu.onFailure = "goodbye";
    auto pre = node("pre", FlowNode::Kind::kQueue);
    pre.group = "Pre-sales";
    auto after = node("after", FlowNode::Kind::kQueue);
    after.group = "After-sales";
    auto voicemail = node("closed-vm", FlowNode::Kind::kVoicemail);
    voicemail.prompt = "after-hours";
    flow.nodes = {hours, menu, pre, after, voicemail, node("goodbye", FlowNode::Kind::kHangUp)};
    return flow;
  }

  // The contact center, with `options` as the test left them.
  void start() {
    ASSERT_TRUE(checkGroups(options).ok());
    center = std::make_unique<ContactCenter>(
        ContactCenterServices{
            .core = core,
            .ua = ua,
            .media = *legs,
            .timers = timers,
            .clock = wall,
            .metrics = metrics,
            .phones = [this](const std::string& agent) { return phones[agent]; },
            .prompt = [this](const std::string& name) -> media::ClipPtr {
              promptsAsked.push_back(name);
              auto it = prompts.find(name);
              return it == prompts.end() ? nullptr : it->second;
            },
            .recordings = writer.get(),
            .files =
                [](std::function<void()> work, std::function<void()> then) {
                  work();
                  then();
                },
            .post = [this](std::function<void()> work) { loop.post(std::move(work)); },
            .saveRecord =
                [this](store::CallRecord r) {
                  saves.push_back("record " + r.id);
                  records.push_back(std::move(r));
                },
            .saveAfterCallWork =
                [this](std::string id, std::int64_t ms) {
                  saves.push_back("acw " + id);
                  afterCallWork.emplace_back(std::move(id), ms);
                },
            .wallMillis = [this] { return wallMs; },
            .dialOut = dialOut,
        },
        options);
  }

  // The hotline as the demo has it: hours -> welcome (a play node) -> menu; `more` nodes added.
  void startWithWelcome(std::vector<FlowNode> more = {}) {
    addPrompt("welcome");
    addPrompt("menu");
    auto welcome = node("welcome", FlowNode::Kind::kPlay);
    welcome.prompt = "welcome";
    welcome.next = "menu";
    auto& flow = options.flows.front();
    for (auto& n : flow.nodes) {
      if (n.id == "hours") n.open = "welcome";
    }
    flow.nodes.push_back(welcome);
    flow.nodes.insert(flow.nodes.end(), more.begin(), more.end());
    start();
  }

  void withRecorder() {
    media::RecordingWriter::Options o;
    o.flushInterval = 50ms;
    o.syncOnFinish = false;
    writer = std::make_unique<media::RecordingWriter>(o);
  }

  // A short prompt (50 ms: the contact center takes its end as soon as the engine reports it).
  void addPrompt(const std::string& name) {
    prompts[name] = media::AudioClip::fromSamples(std::vector<std::int16_t>(400, 1000), name);
  }

  std::size_t asked(const std::string& prompt) const {
    return static_cast<std::size_t>(std::count(promptsAsked.begin(), promptsAsked.end(), prompt));
  }

  // Time passes on both clocks.
  void advance(std::chrono::milliseconds by) {
    wallMs += by.count();
    wall.advance(std::chrono::duration_cast<std::chrono::seconds>(by));
    timers.advance(by);
  }

  // The id the media engine gives the next endpoint it opens. The engine numbers endpoints
  // from one counter (shifted past the worker index) and only this thread opens any, so the
  // next one is the probe's successor. How tests name the caller's or an agent's endpoint
  // (onDigit, onPlayed, onMediaSilent), which the contact center keeps to itself.
  // The caller on `endpoint` presses `keys`, one after the other.
  void press(media::EndpointId endpoint, std::string_view keys) {
    for (char key : keys)
      ASSERT_TRUE(center->onDigit({endpoint, key, 100ms})) << key;
  }

  media::EndpointId nextEndpoint() {
    auto probe = engine->open(media::EndpointConfig{});
    EXPECT_TRUE(probe.ok());
    if (!probe) return 0;
    engine->close(probe->id);
    return probe->id + (media::EndpointId{1} << 8);
  }

  // --- Agents ----------------------------------------------------------------------------

  void registerPhone(const std::string& agent) {
    auto port = phonePort(agent);
    sip::Binding b;
    b.aor = agent;
    b.contact = "sip:" + agent + "@127.0.0.1:" + std::to_string(port);
    b.source = Peer{Transport::kUdp, "127.0.0.1", port, 0};
    phones[agent] = {b};
  }

  // Agent "100x" (user id x) with a registered phone, a member of `groups`.
  acd::AgentView signIn(const std::string& agent, std::vector<std::int64_t> groups,
                        store::AgentSettings settings = {}) {
    registerPhone(agent);
    AgentProfile profile;
    profile.userId = std::stoi(agent) % 1000;
    profile.username = agent;
    for (auto g : groups)
      profile.skills.push_back({g, g == kPreSales ? "Pre-sales" : "After-sales", 5});
    profile.settings = settings;
    auto view = center->signIn(profile);
    EXPECT_TRUE(view.ok()) << agent;
    return view ? *view : acd::AgentView{};
  }

  acd::AgentView agent(const std::string& name) const {
    auto view = center->agent(name);
    EXPECT_TRUE(view.has_value()) << name;
    return view.value_or(acd::AgentView{});
  }

  QueueFigures figures(std::int64_t group) const {
    for (const auto& q : center->queues()) {
      if (q.groupId == group) return q;
    }
    ADD_FAILURE() << "no figures for group " << group;
    return {};
  }

  // --- The callers' side -----------------------------------------------------------------

  // A caller dials `number`: INVITE with SDP, and the ACK of the server's 200 when it answers.
  // With `ackAnswer` the INVITE has no SDP (a delayed offer) and the ACK carries that answer.
  Caller& dial(std::string_view number, const std::string& from,
               std::optional<std::string> ackAnswer = std::nullopt) {
    auto& c = callers.emplace_back();
    c.port = static_cast<std::uint16_t>(40000 + callers.size());
    c.number = from;
    c.callId = "caller-" + std::to_string(c.port);
    c.rtpPort = static_cast<std::uint16_t>(48000 + c.port % 1000);
    auto sdp = ackAnswer ? std::string() : callerSdp(c.rtpPort);
    receiveFromCaller(
        c,
        "INVITE sip:" + std::string(number) + "@switchboard SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:" +
            std::to_string(c.port) + ";branch=z9hG4bK-i" + c.callId + "\r\nFrom: <sip:" + from +
            "@10.0.0.1>;tag=c" + std::to_string(c.port) + "\r\nTo: <sip:" + std::string(number) +
            "@switchboard>\r\nCall-ID: " + c.callId +
            "\r\nCSeq: 1 INVITE\r\nContact: <sip:c@10.0.0.1:" + std::to_string(c.port) +
            ">\r\nMax-Forwards: 70\r\n" + (sdp.empty() ? "" : "Content-Type: application/sdp\r\n") +
            "Content-Length: " + std::to_string(sdp.size()) + "\r\n\r\n" + sdp);
    auto answered = sender.to(c.port, "INVITE", 200);
    if (!answered.empty()) {
      c.tag = std::string(sip::parseNameAddr(*answered.front().header(HeaderId::kTo))->tag());
      inDialog(c, "ACK", ackAnswer.value_or(""), "application/sdp");
    }
    return c;
  }

  void receiveFromCaller(const Caller& c, const std::string& bytes) {
    layer.receive(*sip::parseMessage(bytes), Peer{Transport::kUdp, "10.0.0.1", c.port, 0});
  }

  // A request from the caller in its dialog (ACK takes the INVITE's CSeq).
  void inDialog(Caller& c, const std::string& method, const std::string& body = "",
                const std::string& contentType = "") {
    auto cseq = method == "ACK" ? c.cseq : ++c.cseq;
    receiveFromCaller(
        c, method + " sip:switchboard@127.0.0.1:5060 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:" +
               std::to_string(c.port) + ";branch=z9hG4bK-d" + std::to_string(++c.branch) +
               c.callId + "\r\nFrom: <sip:" + c.number + "@10.0.0.1>;tag=c" +
               std::to_string(c.port) + "\r\nTo: <sip:4000@switchboard>;tag=" + c.tag +
               "\r\nCall-ID: " + c.callId + "\r\nCSeq: " + std::to_string(cseq) + " " + method +
               "\r\nContact: <sip:c@10.0.0.1:" + std::to_string(c.port) +
               ">\r\nMax-Forwards: 70\r\n" +
               (body.empty() ? "" : "Content-Type: " + contentType + "\r\n") +
               "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body);
  }

  void hangUp(Caller& c) { inDialog(c, "BYE"); }

  void pressOverInfo(Caller& c, char digit) {
    inDialog(c, "INFO", std::string("Signal=") + digit + "\r\nDuration=160\r\n",
             "application/dtmf-relay");
  }

  // --- The agents' phones ----------------------------------------------------------------

  // The latest INVITE the server sent to the phone at `port`.
  std::optional<Message> lastInvite(std::uint16_t port, std::size_t since = 0) const {
    auto invites = sender.to(port, "INVITE", 0, since);
    if (invites.empty()) return std::nullopt;
    return invites.back();
  }

  // The phone's To tag in the dialog of `request`.
  static std::string phoneTag(const Message& request) {
    return "p" + std::to_string(std::hash<std::string_view>{}(*request.header(HeaderId::kCallId)) %
                                1'000'000);
  }

  // The phone at `port` answers a request the server sent it.
  void respondAsPhone(const Message& request, std::uint16_t port, int status,
                      const std::string& body = "") {
    std::string to(*request.header(HeaderId::kTo));
    if (sip::parseNameAddr(to)->tag().empty()) to += ";tag=" + phoneTag(request);
    std::string out = "SIP/2.0 " + std::to_string(status) + " X\r\n";
    for (auto via : request.headerLines(HeaderId::kVia))
      out += "Via: " + std::string(via) + "\r\n";
    out += "From: " + std::string(*request.header(HeaderId::kFrom)) + "\r\nTo: " + to +
           "\r\nCall-ID: " + std::string(*request.header(HeaderId::kCallId)) +
           "\r\nCSeq: " + std::string(*request.header(HeaderId::kCSeq)) + "\r\n";
    if (request.method() == sip::Method::kInvite)
      out += "Contact: <sip:phone@127.0.0.1:" + std::to_string(port) + ">\r\n";
    out += (body.empty() ? "" : "Content-Type: application/sdp\r\n") +
           std::string("Content-Length: ") + std::to_string(body.size()) + "\r\n\r\n" + body;
    layer.receive(*sip::parseMessage(out), Peer{Transport::kUdp, "127.0.0.1", port, 0});
  }

  // The phone at `port` answers the latest INVITE it got.
  void phoneResponds(std::uint16_t port, int status, const std::string& body = "") {
    auto invite = lastInvite(port);
    if (!invite) {
      ADD_FAILURE() << "no INVITE reached the phone at " << port;
      return;
    }
    respondAsPhone(*invite, port, status, body);
  }

  void phoneRings(std::uint16_t port) { phoneResponds(port, 180); }
  void phoneAnswers(std::uint16_t port) {
    phoneResponds(port, 180);
    phoneResponds(port, 200, phoneSdp(port));
  }

  // A request from the phone at `port` in the dialog of the latest INVITE it got.
  void phoneSends(std::uint16_t port, const std::string& method, const std::string& body = "") {
    auto invite = lastInvite(port);
    if (!invite) {
      ADD_FAILURE() << "no INVITE reached the phone at " << port;
      return;
    }
    auto contact = sip::parseNameAddr(*invite->header(HeaderId::kContact));
    std::string target(contact->uriText);
    // An ACK (of our 2xx to the phone's re-INVITE) takes the INVITE's CSeq.
    auto cseq = std::to_string(method == "ACK" ? phoneCseq : ++phoneCseq);
    auto bytes =
        method + " " + target + " SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:" + std::to_string(port) +
        ";branch=z9hG4bK-p" + std::to_string(++phoneBranch) +
        "\r\nFrom: " + std::string(*invite->header(HeaderId::kTo)) + ";tag=" + phoneTag(*invite) +
        "\r\nTo: " + std::string(*invite->header(HeaderId::kFrom)) +
        "\r\nCall-ID: " + std::string(*invite->header(HeaderId::kCallId)) + "\r\nCSeq: " + cseq +
        " " + method + "\r\nContact: <sip:phone@127.0.0.1:" + std::to_string(port) +
        ">\r\nMax-Forwards: 70\r\n" + (body.empty() ? "" : "Content-Type: application/sdp\r\n") +
        "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
    layer.receive(*sip::parseMessage(bytes), Peer{Transport::kUdp, "127.0.0.1", port, 0});
  }

  // A caller of the After-sales queue talking with agent 1001, with hold music to play.
  Caller& callTalkingWith1001() {
    addPrompt("hold-music");
    start();
    signIn("1001", {kAfterSales});
    auto& caller = dial(kGroupNumber, "13800000001");
    phoneAnswers(kPhone1001);
    return caller;
  }

  // --- Records ---------------------------------------------------------------------------

  // Waits for the n-th call record (written once the engine reported the legs' statistics).
  const store::CallRecord& awaitRecord(std::size_t n = 1) {
    EXPECT_TRUE(loop.runUntil([&] { return records.size() >= n; }))
        << "call record " << n << " was never saved";
    static const store::CallRecord none;
    return records.size() >= n ? records[n - 1] : none;
  }

  std::size_t mark() const { return sender.sent.size(); }
};

// === Offers ===================================================================================

TEST_F(ContactCenterTest, AGroupNumberCallIsAnsweredAndOfferedToTheIdleAgentsPhone) {
  start();
  signIn("1001", {kAfterSales});
  auto& caller = dial(kGroupNumber, "13800000001");

  auto answered = sender.to(caller.port, "INVITE", 200);
  ASSERT_EQ(answered.size(), 1U);
  EXPECT_NE(answered[0].body().find("c=IN IP4 192.0.2.50"), std::string_view::npos)
      << answered[0].body();
  EXPECT_GE(audioPort(answered[0]), 47000);

  auto offers = sender.to(kPhone1001, "INVITE");
  ASSERT_EQ(offers.size(), 1U);
  const auto& offer = offers[0];
  EXPECT_EQ(offer.requestUri(), "sip:1001@127.0.0.1:41001");
  EXPECT_EQ(displayName(offer), "After-sales 13800000001");
  EXPECT_EQ(fromUser(offer), "13800000001");
  EXPECT_NE(headerOf(offer, "From").find("@switchboard.test>"), std::string::npos);
  EXPECT_EQ(headerOf(offer, "To"), "<sip:1001@switchboard.test>");
  EXPECT_EQ(headerOf(offer, "X-Switchboard-Queue"), "After-sales");
  EXPECT_FALSE(headerOf(offer, "X-Switchboard-Call").empty());
  EXPECT_NE(offer.body().find("c=IN IP4 192.0.2.50"), std::string_view::npos);
  EXPECT_FALSE(offer.header(HeaderId::kCallInfo).has_value());
  EXPECT_FALSE(offer.header(HeaderId::kAlertInfo).has_value());

  auto view = agent("1001");
  EXPECT_EQ(view.activity, AgentActivity::kOffering);
  EXPECT_FALSE(view.available);
  phoneRings(kPhone1001);
  EXPECT_EQ(agent("1001").activity, AgentActivity::kRinging);
  EXPECT_EQ(center->active(), 1U);
}

TEST_F(ContactCenterTest, AnAutoAnswerAgentsPhoneIsAskedToAnswerAtOnce) {
  start();
  store::AgentSettings settings;
  settings.autoAnswer = true;
  signIn("1001", {kAfterSales}, settings);
  dial(kGroupNumber, "13800000001");

  auto offer = lastInvite(kPhone1001);
  ASSERT_TRUE(offer.has_value());
  EXPECT_NE(std::string(offer->header(HeaderId::kCallInfo).value_or("")).find("answer-after=0"),
            std::string::npos);
  EXPECT_NE(std::string(offer->header(HeaderId::kAlertInfo).value_or("")).find("autoanswer"),
            std::string::npos);
}

TEST_F(ContactCenterTest, AnAnsweredCallEndsInAfterCallWorkAndLeavesACompleteRecord) {
  start();
  signIn("1001", {kAfterSales});
  auto& caller = dial(kGroupNumber, "13800000001");
  phoneRings(kPhone1001);
  advance(2s);
  phoneResponds(kPhone1001, 200, phoneSdp(kPhone1001));
  EXPECT_EQ(sender.to(kPhone1001, "ACK").size(), 1U);
  auto talking = agent("1001");
  EXPECT_EQ(talking.activity, AgentActivity::kTalking);
  EXPECT_FALSE(talking.callId.empty());

  advance(5s);
  auto before = mark();
  hangUp(caller);
  EXPECT_EQ(sender.to(caller.port, "BYE", 200, before).size(), 1U);
  EXPECT_EQ(sender.to(kPhone1001, "BYE", 0, before).size(), 1U);
  EXPECT_EQ(agent("1001").activity, AgentActivity::kAfterCallWork);
  EXPECT_EQ(center->active(), 0U);

  const auto& r = awaitRecord();
  EXPECT_EQ(r.endReason, CallEndReason::kNormal);
  EXPECT_EQ(r.endedBy, "caller");
  EXPECT_EQ(r.caller, "13800000001");
  EXPECT_EQ(r.did, kGroupNumber);
  EXPECT_EQ(r.ivrPath, "queue");
  EXPECT_EQ(r.agent, "1001");
  EXPECT_EQ(r.groupId, kAfterSales);
  EXPECT_EQ(r.groupName, "After-sales");
  EXPECT_EQ(r.waitMs, 2000);
  EXPECT_EQ(r.ringMs, 2000);
  EXPECT_EQ(r.talkMs, 5000);
  EXPECT_EQ(r.arrivedAt, kStartMillis);
  EXPECT_EQ(r.answeredAt, kStartMillis + 2000);
  EXPECT_EQ(r.endedAt, kStartMillis + 7000);
  EXPECT_TRUE(r.recording.empty());  // no recorder
  ASSERT_EQ(r.legs.size(), 2U);
  EXPECT_EQ(r.legs[0].role, "caller");
  EXPECT_EQ(r.legs[0].sipCallId, caller.callId);
  EXPECT_EQ(r.legs[1].role, "agent");
  EXPECT_EQ(r.legs[1].party, "1001");
  EXPECT_EQ(r.legs[1].sipStatus, 200);
  EXPECT_EQ(r.legs[1].sipCallId, std::string(*lastInvite(kPhone1001)->header(HeaderId::kCallId)));
  EXPECT_EQ(headerOf(*lastInvite(kPhone1001), "X-Switchboard-Call"), r.id);

  EXPECT_TRUE(afterCallWork.empty());
  advance(15s);
  ASSERT_EQ(afterCallWork.size(), 1U);
  EXPECT_EQ(afterCallWork[0].first, r.id);
  EXPECT_EQ(afterCallWork[0].second, 15000);
  auto after = agent("1001");
  EXPECT_EQ(after.activity, AgentActivity::kNone);
  EXPECT_EQ(after.status, AgentStatus::kIdle);
  EXPECT_TRUE(after.available);
}

TEST_F(ContactCenterTest, TheAgentHangingUpEndsTheCallForTheCaller) {
  start();
  signIn("1001", {kAfterSales});
  auto& caller = dial(kGroupNumber, "13800000001");
  phoneAnswers(kPhone1001);
  advance(3s);
  auto before = mark();
  phoneSends(kPhone1001, "BYE");
  EXPECT_EQ(sender.to(kPhone1001, "BYE", 200, before).size(), 1U);
  EXPECT_EQ(sender.to(caller.port, "BYE", 0, before).size(), 1U);
  EXPECT_EQ(agent("1001").activity, AgentActivity::kAfterCallWork);
  const auto& r = awaitRecord();
  EXPECT_EQ(r.endReason, CallEndReason::kNormal);
  EXPECT_EQ(r.endedBy, "agent");
  EXPECT_EQ(r.talkMs, 3000);
}

// The record is saved once the media engine reported the legs' last statistics (and a recording
// is finished); after-call work that ends before that goes into the record itself, since the
// store's UPDATE would find no row yet.
TEST_F(ContactCenterTest, AfterCallWorkEndedBeforeTheRecordIsSavedIsNotLost) {
  start();
  signIn("1001", {kAfterSales});
  auto& caller = dial(kGroupNumber, "13800000001");
  phoneAnswers(kPhone1001);
  advance(5s);
  hangUp(caller);
  advance(2s);  // two seconds of wrap-up, then ready for the next call
  ASSERT_TRUE(center->command("1001", acd::AgentEvent::setIdle()).ok());
  const auto& r = awaitRecord();
  bool inTheRecord = r.afterCallWorkMs == 2000;
  auto record = std::find(saves.begin(), saves.end(), "record " + r.id);
  auto acw = std::find(saves.begin(), saves.end(), "acw " + r.id);
  bool afterTheRecord = acw != saves.end() && record < acw;
  EXPECT_TRUE(inTheRecord || afterTheRecord) << ::testing::PrintToString(saves);
}

TEST_F(ContactCenterTest, RingNoAnswerPutsTheAgentOnBreakAndOffersTheCallToTheNextAgent) {
  start();
  signIn("1001", {kAfterSales});
  advance(1s);
  signIn("1002", {kAfterSales});  // idle for less time: second in line
  dial(kGroupNumber, "13800000001");
  ASSERT_EQ(sender.to(kPhone1001, "INVITE").size(), 1U);
  EXPECT_TRUE(sender.to(kPhone1002, "INVITE").empty());
  phoneRings(kPhone1001);

  advance(29s);
  EXPECT_TRUE(sender.to(kPhone1001, "CANCEL").empty());
  EXPECT_TRUE(sender.to(kPhone1002, "INVITE").empty());
  advance(1s);
  EXPECT_EQ(sender.to(kPhone1001, "CANCEL").size(), 1U);
  auto first = agent("1001");
  EXPECT_EQ(first.status, AgentStatus::kBreak);
  EXPECT_EQ(first.breakReason, "no answer");
  EXPECT_EQ(first.activity, AgentActivity::kNone);
  EXPECT_FALSE(first.available);

  auto next = lastInvite(kPhone1002);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(fromUser(*next), "13800000001");
  EXPECT_EQ(agent("1002").activity, AgentActivity::kOffering);

  // The first phone acknowledges the CANCEL; the second answers.
  respondAsPhone(sender.to(kPhone1001, "CANCEL").front(), kPhone1001, 200);
  phoneResponds(kPhone1001, 487);
  phoneAnswers(kPhone1002);
  EXPECT_EQ(agent("1002").activity, AgentActivity::kTalking);
  EXPECT_EQ(figures(kAfterSales).answered, 1U);
}

TEST_F(ContactCenterTest, ARequeuedCallKeepsItsPlaceAheadOfLaterCallers) {
  start();
  signIn("1001", {kAfterSales});
  store::AgentSettings busy;
  busy.initialState = store::InitialAgentState::kBusy;
  signIn("1002", {kAfterSales}, busy);
  dial(kGroupNumber, "13800000001");
  advance(1s);
  dial(kGroupNumber, "13800000002");
  EXPECT_EQ(fromUser(*lastInvite(kPhone1001)), "13800000001");
  EXPECT_EQ(figures(kAfterSales).waiting, 1U);
  phoneRings(kPhone1001);

  advance(30s);
  EXPECT_EQ(sender.to(kPhone1001, "CANCEL").size(), 1U);
  EXPECT_EQ(agent("1001").breakReason, "no answer");
  EXPECT_EQ(figures(kAfterSales).waiting, 2U);
  EXPECT_TRUE(sender.to(kPhone1002, "INVITE").empty());

  ASSERT_TRUE(center->command("1002", acd::AgentEvent::setIdle()).ok());
  auto offer = lastInvite(kPhone1002);
  ASSERT_TRUE(offer.has_value());
  EXPECT_EQ(fromUser(*offer), "13800000001");  // not the later caller
  EXPECT_EQ(figures(kAfterSales).waiting, 1U);
}

TEST_F(ContactCenterTest, ARejectedOfferPutsTheAgentOnBreakAndOffersTheCallToAnother) {
  start();
  signIn("1001", {kAfterSales});
  advance(1s);
  signIn("1002", {kAfterSales});
  dial(kGroupNumber, "13800000001");
  phoneRings(kPhone1001);
  phoneResponds(kPhone1001, 486);
  EXPECT_EQ(sender.to(kPhone1001, "ACK").size(), 1U);
  auto first = agent("1001");
  EXPECT_EQ(first.status, AgentStatus::kBreak);
  EXPECT_EQ(first.breakReason, "rejected");
  auto next = lastInvite(kPhone1002);
  ASSERT_TRUE(next.has_value());
  EXPECT_EQ(fromUser(*next), "13800000001");
  EXPECT_EQ(agent("1002").activity, AgentActivity::kOffering);
}

TEST_F(ContactCenterTest, ARingAllQueueRingsEveryIdleAgentAndTheFirstAnswerWins) {
  config::QueueConfig queue;
  queue.group = "After-sales";
  queue.strategy = "ring_all";
  options.queues = {queue};
  start();
  signIn("1001", {kAfterSales});
  signIn("1002", {kAfterSales});
  dial(kGroupNumber, "13800000001");
  ASSERT_EQ(sender.to(kPhone1001, "INVITE").size(), 1U);
  ASSERT_EQ(sender.to(kPhone1002, "INVITE").size(), 1U);
  phoneRings(kPhone1001);
  phoneAnswers(kPhone1002);
  EXPECT_EQ(sender.to(kPhone1001, "CANCEL").size(), 1U);
  EXPECT_TRUE(sender.to(kPhone1002, "CANCEL").empty());
  EXPECT_EQ(agent("1002").activity, AgentActivity::kTalking);
  auto other = agent("1001");
  EXPECT_EQ(other.status, AgentStatus::kIdle);  // not a missed call: no break
  EXPECT_EQ(other.activity, AgentActivity::kNone);
  EXPECT_TRUE(other.available);
  EXPECT_EQ(figures(kAfterSales).answered, 1U);
}

TEST_F(ContactCenterTest, AnAgentWhosePhoneVanishedGoesOnBreakAndTheCallWaits) {
  start();
  signIn("1001", {kAfterSales});
  phones.erase("1001");  // the binding expired; the registrar has not said so yet
  dial(kGroupNumber, "13800000001");
  EXPECT_TRUE(sender.to(kPhone1001, "INVITE").empty());
  auto view = agent("1001");
  EXPECT_EQ(view.status, AgentStatus::kBreak);
  EXPECT_EQ(view.breakReason, "phone failure");
  EXPECT_EQ(figures(kAfterSales).waiting, 1U);
}

TEST_F(ContactCenterTest, CallersWaitingForAnAgentAreServedInArrivalOrder) {
  options.acd.afterCallWork = 0s;
  start();
  auto& first = dial(kGroupNumber, "13800000001");
  advance(1s);
  auto& second = dial(kGroupNumber, "13800000002");
  advance(1s);
  auto& third = dial(kGroupNumber, "13800000003");
  EXPECT_EQ(figures(kAfterSales).waiting, 3U);

  signIn("1001", {kAfterSales});
  std::vector<std::string> offered;
  for (auto* caller : {&first, &second, &third}) {
    auto offer = lastInvite(kPhone1001);
    ASSERT_TRUE(offer.has_value());
    offered.push_back(fromUser(*offer));
    phoneAnswers(kPhone1001);
    ASSERT_EQ(agent("1001").activity, AgentActivity::kTalking);
    advance(1s);
    hangUp(*caller);
  }
  EXPECT_EQ(offered, (std::vector<std::string>{"13800000001", "13800000002", "13800000003"}));
  EXPECT_EQ(sender.to(kPhone1001, "INVITE").size(), 3U);
  EXPECT_EQ(agent("1001").activity, AgentActivity::kNone);
  EXPECT_TRUE(agent("1001").available);
  awaitRecord(3);
  EXPECT_EQ(figures(kAfterSales).answered, 3U);
}

TEST_F(ContactCenterTest, ACallerWhoMadeNoOfferGetsOursAndItsAnswerInTheAckIsWhereWeSend) {
  addPrompt("hold-music");
  start();
  LoopbackRtp phone;
  // The caller answers our offer with PCMA, the second codec we offer.
  auto answer =
      "v=0\r\no=- 2 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
      "m=audio " +
      std::to_string(phone.port()) + " RTP/AVP 8\r\n";
  auto& caller = dial(kGroupNumber, "13800000001", answer);

  auto answered = sender.to(caller.port, "INVITE", 200);
  ASSERT_EQ(answered.size(), 1U) << "a delayed offer was refused";
  auto offer = sdp::parse(answered[0].body());
  ASSERT_TRUE(offer.ok()) << answered[0].body();
  ASSERT_EQ(offer->media.size(), 1U);
  EXPECT_EQ(offer->connectionFor(offer->media[0])->address, kAnchorAddress);
  EXPECT_GE(offer->media[0].port, 47000);
  EXPECT_NE(offer->media[0].findCodec(8), nullptr);
  // Waiting in the queue, the caller hears the music: sent where the ACK said, in PCMA.
  EXPECT_EQ(phone.nextPayloadType(), 8) << "no RTP reached the address of the ACK's answer";
  EXPECT_EQ(center->active(), 1U);
  hangUp(caller);
  EXPECT_EQ(awaitRecord().endReason, CallEndReason::kQueueAbandoned);
}

TEST_F(ContactCenterTest, AnAckWithoutTheAnswerToOurOfferEndsTheCall) {
  addPrompt("hold-music");
  start();
  auto& caller = dial(kGroupNumber, "13800000001", "");
  ASSERT_EQ(sender.to(caller.port, "INVITE", 200).size(), 1U);
  EXPECT_EQ(sender.to(caller.port, "BYE").size(), 1U);
  const auto& r = awaitRecord();
  EXPECT_EQ(r.endReason, CallEndReason::kFailed);
  EXPECT_EQ(r.endedBy, "system");
  EXPECT_EQ(center->active(), 0U);
}

// === Abandons =================================================================================

TEST_F(ContactCenterTest, ACallerWhoHangsUpWhileWaitingIsAQueueAbandon) {
  start();
  auto& caller = dial(kGroupNumber, "13800000001");
  advance(4s);
  hangUp(caller);
  const auto& r = awaitRecord();
  EXPECT_EQ(r.endReason, CallEndReason::kQueueAbandoned);
  EXPECT_EQ(r.endedBy, "caller");
  EXPECT_EQ(r.groupName, "After-sales");
  EXPECT_EQ(r.waitMs, 4000);
  EXPECT_TRUE(r.agent.empty());
  auto q = figures(kAfterSales);
  EXPECT_EQ(q.abandoned, 1U);
  EXPECT_EQ(q.waiting, 0U);
  EXPECT_EQ(q.answered, 0U);
  EXPECT_EQ(center->active(), 0U);
}

TEST_F(ContactCenterTest, ACallerWhoHangsUpWhileTheAgentRingsIsARingAbandon) {
  start();
  signIn("1001", {kAfterSales});
  auto& caller = dial(kGroupNumber, "13800000001");
  phoneRings(kPhone1001);
  advance(3s);
  hangUp(caller);
  EXPECT_EQ(sender.to(kPhone1001, "CANCEL").size(), 1U);
  auto view = agent("1001");
  EXPECT_EQ(view.status, AgentStatus::kIdle);  // no break: the agent did nothing wrong
  EXPECT_EQ(view.activity, AgentActivity::kNone);
  EXPECT_TRUE(view.breakReason.empty());
  EXPECT_TRUE(view.available);
  const auto& r = awaitRecord();
  EXPECT_EQ(r.endReason, CallEndReason::kRingAbandoned);
  EXPECT_EQ(r.waitMs, 3000);
  EXPECT_EQ(r.ringMs, 3000);
  EXPECT_TRUE(r.agent.empty());
  EXPECT_EQ(figures(kAfterSales).abandoned, 1U);
  EXPECT_EQ(figures(kAfterSales).agentsIdle, 1U);
  // A late answer from the phone is hung up, not bridged to nobody.
  phoneResponds(kPhone1001, 200, phoneSdp(kPhone1001));
  EXPECT_EQ(sender.to(kPhone1001, "ACK").size(), 1U);
  EXPECT_EQ(sender.to(kPhone1001, "BYE").size(), 1U);
  EXPECT_EQ(agent("1001").activity, AgentActivity::kNone);
}

// A phone that dies sends no BYE; the RTP timeout finds it. For the figures, that caller left the
// queue as one who hung up did.
TEST_F(ContactCenterTest, ACallerWhosePhoneDiesWhileWaitingIsAQueueAbandon) {
  start();
  auto callerEndpoint = nextEndpoint();
  auto& caller = dial(kGroupNumber, "13800000001");
  advance(4s);
  auto before = mark();
  ASSERT_TRUE(center->onMediaSilent(callerEndpoint));
  EXPECT_EQ(sender.to(caller.port, "BYE", 0, before).size(), 1U);
  const auto& r = awaitRecord();
  EXPECT_EQ(r.endReason, CallEndReason::kQueueAbandoned);
  EXPECT_EQ(r.endedBy, "caller");
  EXPECT_EQ(r.waitMs, 4000);
  auto q = figures(kAfterSales);
  EXPECT_EQ(q.abandoned, 1U);
  EXPECT_EQ(q.waiting, 0U);
  EXPECT_EQ(center->active(), 0U);
}

TEST_F(ContactCenterTest, ACallerWhosePhoneDiesWhileTheAgentRingsIsARingAbandon) {
  start();
  signIn("1001", {kAfterSales});
  auto callerEndpoint = nextEndpoint();
  dial(kGroupNumber, "13800000001");
  phoneRings(kPhone1001);
  advance(3s);
  ASSERT_TRUE(center->onMediaSilent(callerEndpoint));
  EXPECT_EQ(sender.to(kPhone1001, "CANCEL").size(), 1U);
  auto view = agent("1001");
  EXPECT_EQ(view.status, AgentStatus::kIdle);
  EXPECT_TRUE(view.breakReason.empty());
  const auto& r = awaitRecord();
  EXPECT_EQ(r.endReason, CallEndReason::kRingAbandoned);
  EXPECT_EQ(r.endedBy, "caller");
  EXPECT_EQ(r.ringMs, 3000);
  EXPECT_EQ(figures(kAfterSales).abandoned, 1U);
}

TEST_F(ContactCenterTest, WaitingCallersHearTheirPlaceInTheQueueEveryInterval) {
  options.acd.announceInterval = 30s;
  for (const auto* name : {"queue-position", "digit-1", "digit-2", "hold-music"})
    addPrompt(name);
  start();
  auto firstEndpoint = nextEndpoint();
  dial(kGroupNumber, "13800000001");
  dial(kGroupNumber, "13800000002");
  EXPECT_EQ(asked("hold-music"), 2U);
  advance(29s);
  EXPECT_EQ(asked("queue-position"), 0U);
  advance(1s);
  EXPECT_EQ(asked("queue-position"), 2U);
  EXPECT_EQ(asked("digit-1"), 1U);
  EXPECT_EQ(asked("digit-2"), 1U);
  EXPECT_EQ(asked("queue-wait"), 0U);  // no answers yet: no estimate
  ASSERT_TRUE(center->onPlayed(firstEndpoint));
  EXPECT_EQ(asked("hold-music"), 3U);  // the music again after the announcement
  advance(30s);
  EXPECT_EQ(asked("queue-position"), 4U);
}

// === The IVR flow =============================================================================

TEST_F(ContactCenterTest, TheMenuRoutesOnADigitSentAsSipInfo) {
  addPrompt("menu");
  start();
  signIn("1001", {kPreSales});
  signIn("1002", {kAfterSales});
  auto& caller = dial(kFlowNumber, "13800000001");
  ASSERT_EQ(sender.to(caller.port, "INVITE", 200).size(), 1U);
  EXPECT_EQ(asked("menu"), 1U);
  EXPECT_TRUE(sender.to(kPhone1002, "INVITE").empty());

  pressOverInfo(caller, '2');  // while the menu prompt still plays
  EXPECT_EQ(sender.to(caller.port, "INFO", 200).size(), 1U);
  auto offer = lastInvite(kPhone1002);
  ASSERT_TRUE(offer.has_value());
  EXPECT_EQ(headerOf(*offer, "X-Switchboard-Queue"), "After-sales");
  EXPECT_TRUE(sender.to(kPhone1001, "INVITE").empty());

  hangUp(caller);
  const auto& r = awaitRecord();
  EXPECT_EQ(r.ivrPath, "hours>menu[2]>after");
  EXPECT_EQ(r.groupName, "After-sales");
  EXPECT_EQ(r.did, kFlowNumber);
}

TEST_F(ContactCenterTest, AKeyPressedDuringTheWelcomeAnswersTheMenuAfterIt) {
  startWithWelcome();
  signIn("1002", {kAfterSales});
  auto callerEndpoint = nextEndpoint();
  auto& caller = dial(kFlowNumber, "13800000001");
  EXPECT_EQ(asked("welcome"), 1U);
  ASSERT_TRUE(center->onDigit({callerEndpoint, '2', 100ms}));  // during the welcome
  EXPECT_TRUE(sender.to(kPhone1002, "INVITE").empty());        // the welcome plays on

  ASSERT_TRUE(center->onPlayed(callerEndpoint));  // the welcome ended: the menu has its key
  EXPECT_EQ(asked("menu"), 0U);                   // so its prompt is not played
  ASSERT_TRUE(lastInvite(kPhone1002).has_value());

  hangUp(caller);
  const auto& r = awaitRecord();
  EXPECT_EQ(r.ivrPath, "hours>welcome>menu[2]>after");
}

TEST_F(ContactCenterTest, KeysPressedAheadAnswerTheMenusThatFollowInTurn) {
  addPrompt("sub");
  auto sub = node("sub", FlowNode::Kind::kMenu);
  sub.prompt = "sub";
  sub.choices = {{"1", "pre"}};
  sub.invalidPrompt = "invalid";
  for (auto& n : options.flows.front().nodes) {
    if (n.id == "menu") n.choices.emplace_back("3", "sub");
  }
  startWithWelcome({sub});
  signIn("1001", {kPreSales});
  auto callerEndpoint = nextEndpoint();
  auto& caller = dial(kFlowNumber, "13800000001");
  ASSERT_NO_FATAL_FAILURE(press(callerEndpoint, "31"));
  ASSERT_TRUE(center->onPlayed(callerEndpoint));
  // Both menus took their keys; neither prompt played.
  EXPECT_EQ(asked("menu"), 0U);
  EXPECT_EQ(asked("sub"), 0U);
  ASSERT_TRUE(lastInvite(kPhone1001).has_value());
  hangUp(caller);
  EXPECT_EQ(awaitRecord().ivrPath, "hours>welcome>menu[3]>sub[1]>pre");
}

TEST_F(ContactCenterTest, OnlyTheFirstKeyPressedAheadAnswersAMenuThatEndsInAQueue) {
  startWithWelcome();
  signIn("1001", {kPreSales});
  auto callerEndpoint = nextEndpoint();
  auto& caller = dial(kFlowNumber, "13800000001");
  ASSERT_NO_FATAL_FAILURE(press(callerEndpoint, "19"));
  ASSERT_TRUE(center->onPlayed(callerEndpoint));
  // '1' answered the menu; '9' went nowhere: the call is offered, not re-prompted.
  EXPECT_EQ(asked("invalid"), 0U);
  ASSERT_TRUE(lastInvite(kPhone1001).has_value());
  hangUp(caller);
  EXPECT_EQ(awaitRecord().ivrPath, "hours>welcome>menu[1]>pre");
}

TEST_F(ContactCenterTest, TheMenuRepromptsOnAWrongDigitAndRoutesOnTheRightOne) {
  addPrompt("menu");
  addPrompt("invalid");
  start();
  signIn("1001", {kPreSales});
  auto callerEndpoint = nextEndpoint();
  auto& caller = dial(kFlowNumber, "13800000001");
  EXPECT_EQ(asked("menu"), 1U);
  ASSERT_TRUE(center->onPlayed(callerEndpoint));  // the menu prompt ended: waiting for a key

  ASSERT_TRUE(center->onDigit({callerEndpoint, '9', 100ms}));
  EXPECT_EQ(asked("invalid"), 1U);
  EXPECT_EQ(asked("menu"), 2U);
  EXPECT_TRUE(sender.to(kPhone1001, "INVITE").empty());
  ASSERT_TRUE(center->onPlayed(callerEndpoint));

  ASSERT_TRUE(center->onDigit({callerEndpoint, '1', 100ms}));
  auto offer = lastInvite(kPhone1001);
  ASSERT_TRUE(offer.has_value());
  EXPECT_EQ(displayName(*offer), "Pre-sales 13800000001");

  hangUp(caller);
  const auto& r = awaitRecord();
  EXPECT_EQ(r.ivrPath, "hours>menu[9][1]>pre");
  EXPECT_EQ(r.groupName, "Pre-sales");
  EXPECT_EQ(r.endReason, CallEndReason::kRingAbandoned);
}

TEST_F(ContactCenterTest, TheMenuTakesItsFailureBranchWhenTheAttemptsRunOut) {
  options.flows[0].nodes[1].attempts = 2;  // "menu"
  start();
  auto callerEndpoint = nextEndpoint();
  auto& caller = dial(kFlowNumber, "13800000001");
  // No prompts: the menu waits for a key at once.
  ASSERT_TRUE(center->onDigit({callerEndpoint, '7', 100ms}));
  EXPECT_TRUE(sender.to(caller.port, "BYE").empty());
  advance(4s);
  EXPECT_TRUE(sender.to(caller.port, "BYE").empty());
  advance(1s);  // no key within the menu's 5 s: the second and last attempt is used up
  EXPECT_EQ(sender.to(caller.port, "BYE").size(), 1U);
  const auto& r = awaitRecord();
  EXPECT_EQ(r.ivrPath, "hours>menu[7][timeout]>goodbye");
  EXPECT_EQ(r.endReason, CallEndReason::kUnanswered);
  EXPECT_EQ(r.endedBy, "system");
  EXPECT_EQ(r.groupId, 0);
}

TEST_F(ContactCenterTest, AMenuDigitSentAsRtpTelephoneEventReachesTheMenu) {
  start();
  signIn("1002", {kAfterSales});
  auto& caller = dial(kFlowNumber, "13800000001");
  auto answered = sender.to(caller.port, "INVITE", 200);
  ASSERT_EQ(answered.size(), 1U);
  auto port = audioPort(answered[0]);

  // RFC 4733 key 2 (start, then three end packets) from the caller's RTP port to ours.
  int fd = ::socket(AF_INET, SOCK_DGRAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in local{};
  local.sin_family = AF_INET;
  local.sin_port = htons(caller.rtpPort);
  local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  (void)::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local);
  sockaddr_in to = local;
  to.sin_port = htons(port);
  for (int i = 0; i < 4; ++i) {
    std::array<std::uint8_t, 16> packet{};
    auto size = media::writeRtpHeader(
        packet, {i == 0, 101, static_cast<std::uint16_t>(1 + i), 16000, 0x1234});
    auto payload =
        media::encodeTelephoneEvent({2, i > 0, 10, static_cast<std::uint16_t>(i == 0 ? 160 : 800)});
    std::copy(payload.begin(), payload.end(), packet.begin() + static_cast<std::ptrdiff_t>(size));
    ASSERT_EQ(::sendto(fd, packet.data(), size + payload.size(), 0,
                       reinterpret_cast<sockaddr*>(&to), sizeof to),
              static_cast<ssize_t>(size + payload.size()));
  }
  ::close(fd);

  ASSERT_TRUE(loop.runUntil([&] { return lastInvite(kPhone1002).has_value(); }))
      << "the digit never reached the menu";
  hangUp(caller);
  EXPECT_EQ(awaitRecord().ivrPath, "hours>menu[2]>after");
}

// === After hours and voicemail ================================================================

// Documents what happens today: with no recorder there is nowhere to leave a message, so the
// caller is answered and hung up at once, and the record says the call failed.
TEST_F(ContactCenterTest, AfterHoursWithoutARecorderTheCallEndsFailed) {
  options.schedules = {openAllWeek({std::string(kToday)})};
  start();
  auto& caller = dial(kFlowNumber, "13800000001");
  EXPECT_EQ(sender.to(caller.port, "INVITE", 200).size(), 1U);
  EXPECT_EQ(sender.to(caller.port, "BYE").size(), 1U);
  EXPECT_EQ(asked("after-hours"), 1U);
  const auto& r = awaitRecord();
  EXPECT_EQ(r.ivrPath, "hours>closed-vm");
  EXPECT_EQ(r.endReason, CallEndReason::kFailed);
  EXPECT_EQ(r.endedBy, "system");
  EXPECT_TRUE(r.voicemail.empty());
}

TEST_F(ContactCenterTest, AfterHoursTheCallerLeavesAVoicemail) {
  options.schedules = {openAllWeek({std::string(kToday)})};
  withRecorder();
  start();
  auto& caller = dial(kFlowNumber, "13800000001");
  EXPECT_TRUE(sender.to(caller.port, "BYE").empty());  // recording
  advance(3s);
  hangUp(caller);
  const auto& r = awaitRecord();
  EXPECT_EQ(r.ivrPath, "hours>closed-vm");
  EXPECT_EQ(r.endReason, CallEndReason::kAfterHoursVoicemail);
  EXPECT_EQ(r.endedBy, "caller");
  EXPECT_EQ(r.voicemail, "voicemail/2026/11/20/" + r.id + ".wav");
  EXPECT_TRUE(r.recording.empty());
  auto file = dataDir / r.voicemail;
  ASSERT_TRUE(std::filesystem::exists(file)) << file;
  std::ifstream in(file, std::ios::binary);
  std::string riff(4, '\0');
  in.read(riff.data(), 4);
  EXPECT_EQ(riff, "RIFF");
}

// === Overflow =================================================================================

TEST_F(ContactCenterTest, AWaitOverTheQueueMaximumOverflowsToAnotherGroup) {
  config::QueueConfig queue;
  queue.group = "After-sales";
  queue.maxWait = 10s;
  queue.overflow = "Pre-sales";
  options.queues = {queue};
  start();
  signIn("1001", {kPreSales});
  auto& caller = dial(kGroupNumber, "13800000001");
  advance(9s);
  EXPECT_TRUE(sender.to(kPhone1001, "INVITE").empty());
  EXPECT_EQ(figures(kAfterSales).waiting, 1U);
  advance(1s);
  auto offer = lastInvite(kPhone1001);
  ASSERT_TRUE(offer.has_value());
  EXPECT_EQ(displayName(*offer), "Pre-sales 13800000001");
  EXPECT_EQ(headerOf(*offer, "X-Switchboard-Queue"), "Pre-sales");
  EXPECT_EQ(figures(kAfterSales).overflowed, 1U);
  EXPECT_EQ(figures(kAfterSales).waiting, 0U);
  EXPECT_EQ(figures(kPreSales).overflowed, 0U);

  phoneAnswers(kPhone1001);
  hangUp(caller);
  const auto& r = awaitRecord();
  EXPECT_EQ(r.ivrPath, "queue>overflow:Pre-sales");
  EXPECT_EQ(r.groupName, "Pre-sales");
  EXPECT_EQ(r.agent, "1001");
  EXPECT_EQ(r.waitMs, 10000);  // since it reached the ACD, not since it entered Pre-sales
  EXPECT_EQ(figures(kPreSales).answered, 1U);
}

TEST_F(ContactCenterTest, AWaitOverTheQueueMaximumOverflowsToVoicemail) {
  config::QueueConfig queue;
  queue.group = "After-sales";
  queue.maxWait = 10s;
  queue.overflow = "voicemail";
  options.queues = {queue};
  withRecorder();
  start();
  auto& caller = dial(kGroupNumber, "13800000001");
  advance(10s);
  EXPECT_EQ(figures(kAfterSales).overflowed, 1U);
  EXPECT_EQ(figures(kAfterSales).waiting, 0U);
  EXPECT_TRUE(sender.to(caller.port, "BYE").empty());
  // The message is cut at its maximum length, and the call ended by us.
  advance(options.acd.voicemailMaxLength);
  EXPECT_EQ(sender.to(caller.port, "BYE").size(), 1U);
  const auto& r = awaitRecord();
  EXPECT_EQ(r.ivrPath, "queue>voicemail");
  EXPECT_EQ(r.endReason, CallEndReason::kVoicemail);
  EXPECT_EQ(r.endedBy, "system");
  EXPECT_EQ(r.voicemail, "voicemail/2026/11/20/" + r.id + ".wav");
  EXPECT_TRUE(std::filesystem::exists(dataDir / r.voicemail));
}

// A caller who overflowed to voicemail waited in the queue until the overflow, not while
// leaving the message.
TEST_F(ContactCenterTest, AVoicemailAfterAnOverflowCountsOnlyTheQueueWait) {
  config::QueueConfig queue;
  queue.group = "After-sales";
  queue.maxWait = 10s;
  queue.overflow = "voicemail";
  options.queues = {queue};
  withRecorder();
  start();
  auto& caller = dial(kGroupNumber, "13800000001");
  advance(10s);
  advance(30s);  // the message
  hangUp(caller);
  const auto& r = awaitRecord();
  EXPECT_EQ(r.endReason, CallEndReason::kVoicemail);
  EXPECT_EQ(r.waitMs, 10000);
}

// === Phones ===================================================================================

TEST_F(ContactCenterTest, AnAgentWithoutARegisteredPhoneIsNotOfferedCalls) {
  start();
  signIn("1001", {kAfterSales});
  phones.erase("1001");
  center->phoneChanged("1001", false);
  auto view = agent("1001");
  EXPECT_FALSE(view.phoneRegistered);
  EXPECT_FALSE(view.available);
  EXPECT_EQ(view.status, AgentStatus::kIdle);

  dial(kGroupNumber, "13800000001");
  EXPECT_TRUE(sender.to(kPhone1001, "INVITE").empty());
  EXPECT_EQ(figures(kAfterSales).waiting, 1U);

  registerPhone("1001");
  center->phoneChanged("1001", true);
  ASSERT_TRUE(lastInvite(kPhone1001).has_value());
  EXPECT_EQ(agent("1001").activity, AgentActivity::kOffering);
  EXPECT_EQ(figures(kAfterSales).waiting, 0U);
}

// === Mobile answering (手机接听) =================================================================

// The carrier at kTrunkPort takes every number.
std::optional<TrunkCall> carrierTrunk(const std::string& number) {
  return TrunkCall{"sip:" + number + "@carrier.test", "<sip:" + number + "@carrier.test>",
                   Peer{Transport::kUdp, "127.0.0.1", kTrunkPort, 0}};
}

TEST_F(ContactCenterTest, AMobileAgentIsRungThroughTheTrunkAndTalksWithoutAPhone) {
  dialOut = carrierTrunk;
  start();
  store::AgentSettings settings;
  settings.autoAnswer = true;  // a mobile cannot be asked to answer by itself
  signIn("1001", {kAfterSales}, settings);
  phones.erase("1001");
  center->phoneChanged("1001", false);
  auto mobile = center->setMobile("1001", "13900000009");
  ASSERT_TRUE(mobile.ok()) << mobile.error().message;
  EXPECT_EQ(mobile->status, AgentStatus::kMobile);
  EXPECT_TRUE(mobile->available);
  EXPECT_EQ(center->mobileNumber("1001"), "13900000009");

  auto& caller = dial(kGroupNumber, "13800000001");
  auto offer = lastInvite(kTrunkPort);
  ASSERT_TRUE(offer.has_value());
  EXPECT_EQ(offer->requestUri(), "sip:13900000009@carrier.test");
  EXPECT_EQ(headerOf(*offer, "To"), "<sip:13900000009@carrier.test>");
  EXPECT_EQ(fromUser(*offer), "13800000001");
  EXPECT_EQ(headerOf(*offer, "X-Switchboard-Queue"), "After-sales");
  EXPECT_FALSE(offer->header(HeaderId::kCallInfo).has_value());
  EXPECT_FALSE(offer->header(HeaderId::kAlertInfo).has_value());
  EXPECT_TRUE(sender.to(kPhone1001, "INVITE").empty());

  phoneAnswers(kTrunkPort);
  EXPECT_EQ(agent("1001").activity, AgentActivity::kTalking);
  hangUp(caller);
  const auto& record = awaitRecord();
  EXPECT_EQ(record.agent, "1001");
  EXPECT_EQ(record.endReason, CallEndReason::kNormal);
}

TEST_F(ContactCenterTest, MobileAnsweringNeedsATrunkAndANumber) {
  start();
  signIn("1001", {kAfterSales});
  auto noTrunk = center->setMobile("1001", "13900000009");
  ASSERT_FALSE(noTrunk.ok());
  EXPECT_EQ(noTrunk.error().code, ErrorCode::kConflict);

  center.reset();
  dialOut = carrierTrunk;
  start();
  signIn("1001", {kAfterSales});
  auto noNumber = center->setMobile("1001", "");
  ASSERT_FALSE(noNumber.ok());
  EXPECT_EQ(noNumber.error().code, ErrorCode::kInvalidArgument);
  EXPECT_EQ(agent("1001").status, AgentStatus::kIdle);
  EXPECT_EQ(center->mobileNumber("1001"), "");                  // not in mobile answering
  EXPECT_FALSE(center->setMobile("1002", "13900000009").ok());  // not signed in
}

TEST_F(ContactCenterTest, AMobileTheTrunkCannotReachIsAPhoneFailure) {
  dialOut = [](const std::string&) -> std::optional<TrunkCall> { return std::nullopt; };
  start();
  signIn("1001", {kAfterSales});
  signIn("1002", {kAfterSales});
  ASSERT_TRUE(center->command("1002", acd::AgentEvent::setBusy()).ok());
  ASSERT_TRUE(center->setMobile("1001", "13900000009").ok());
  dial(kGroupNumber, "13800000001");

  EXPECT_TRUE(sender.to(kPhone1001, "INVITE").empty());
  auto view = agent("1001");
  EXPECT_EQ(view.status, AgentStatus::kBreak);
  EXPECT_EQ(view.breakReason, "phone failure");
  EXPECT_EQ(figures(kAfterSales).waiting, 1U);
}

TEST_F(ContactCenterTest, AnAgentPhoneThatFallsSilentEndsTheCallAndTheAgentWrapsUp) {
  start();
  auto& caller = dial(kGroupNumber, "13800000001");
  auto agentEndpoint = nextEndpoint();
  signIn("1001", {kAfterSales});
  phoneAnswers(kPhone1001);
  ASSERT_EQ(agent("1001").activity, AgentActivity::kTalking);
  advance(4s);

  auto before = mark();
  ASSERT_TRUE(center->onMediaSilent(agentEndpoint));
  EXPECT_EQ(sender.to(caller.port, "BYE", 0, before).size(), 1U);
  EXPECT_EQ(sender.to(kPhone1001, "BYE", 0, before).size(), 1U);
  EXPECT_EQ(agent("1001").activity, AgentActivity::kAfterCallWork);
  EXPECT_EQ(center->active(), 0U);
  const auto& r = awaitRecord();
  EXPECT_EQ(r.endReason, CallEndReason::kNormal);
  EXPECT_EQ(r.endedBy, "agent");
  EXPECT_EQ(r.talkMs, 4000);
  EXPECT_FALSE(center->onMediaSilent(agentEndpoint));  // closed with the call
}

TEST_F(ContactCenterTest, AnAnsweredCallIsRecordedWhenTheQueueRecords) {
  withRecorder();
  start();
  signIn("1001", {kAfterSales});
  auto& caller = dial(kGroupNumber, "13800000001");
  phoneAnswers(kPhone1001);
  advance(2s);
  hangUp(caller);
  const auto& r = awaitRecord();
  EXPECT_EQ(r.recording, "recordings/2026/11/20/" + r.id + ".wav");
  EXPECT_TRUE(std::filesystem::exists(dataDir / r.recording));
}

TEST_F(ContactCenterTest, AnAgentsHoldIsTimedAndTheCallerHearsMusic) {
  auto& caller = callTalkingWith1001();
  auto before = mark();
  phoneSends(kPhone1001, "INVITE", phoneSdp(kPhone1001, "sendonly"));
  auto held = sender.to(kPhone1001, "INVITE", 200, before);
  ASSERT_EQ(held.size(), 1U);
  phoneSends(kPhone1001, "ACK");
  EXPECT_NE(held[0].body().find("a=recvonly"), std::string_view::npos) << held[0].body();
  EXPECT_EQ(agent("1001").activity, AgentActivity::kOnHold);
  EXPECT_TRUE(sender.to(caller.port, "INVITE", 0, before).empty());  // the caller is not asked
  advance(6s);
  phoneSends(kPhone1001, "INVITE", phoneSdp(kPhone1001));
  phoneSends(kPhone1001, "ACK");
  EXPECT_EQ(agent("1001").activity, AgentActivity::kTalking);
  advance(1s);
  hangUp(caller);
  const auto& r = awaitRecord();
  EXPECT_EQ(r.holdMs, 6000);
  EXPECT_EQ(r.talkMs, 7000);
}

TEST_F(ContactCenterTest, AHoldTheOldWayWithAZeroAddressIsAHoldToo) {
  auto& caller = callTalkingWith1001();
  auto musicBefore = asked("hold-music");
  auto held = phoneSdp(kPhone1001);
  held.replace(held.find("c=IN IP4 127.0.0.1"), 18, "c=IN IP4 0.0.0.0");
  phoneSends(kPhone1001, "INVITE", held);
  phoneSends(kPhone1001, "ACK");
  EXPECT_EQ(agent("1001").activity, AgentActivity::kOnHold);
  EXPECT_EQ(asked("hold-music"), musicBefore + 1);  // the caller hears music
  advance(2s);
  phoneSends(kPhone1001, "INVITE", phoneSdp(kPhone1001));
  phoneSends(kPhone1001, "ACK");
  EXPECT_EQ(agent("1001").activity, AgentActivity::kTalking);
  hangUp(caller);
  EXPECT_EQ(awaitRecord().holdMs, 2000);
}

TEST_F(ContactCenterTest, APhoneHoldingWithoutAnOfferAnswersOursInTheAckAndThatCounts) {
  auto& caller = callTalkingWith1001();
  auto musicBefore = asked("hold-music");
  auto before = mark();
  phoneSends(kPhone1001, "INVITE");
  auto offered = sender.to(kPhone1001, "INVITE", 200, before);
  ASSERT_EQ(offered.size(), 1U);
  auto offer = sdp::parse(offered[0].body());
  ASSERT_TRUE(offer.ok()) << offered[0].body();
  EXPECT_EQ(offer->media[0].direction, sdp::Direction::kSendRecv);
  EXPECT_EQ(agent("1001").activity, AgentActivity::kTalking);  // the offer alone says nothing
  phoneSends(kPhone1001, "ACK", phoneSdp(kPhone1001, "sendonly"));
  EXPECT_EQ(agent("1001").activity, AgentActivity::kOnHold);
  EXPECT_EQ(asked("hold-music"), musicBefore + 1);  // the caller hears music
  advance(3s);
  phoneSends(kPhone1001, "INVITE");
  phoneSends(kPhone1001, "ACK", phoneSdp(kPhone1001));
  EXPECT_EQ(agent("1001").activity, AgentActivity::kTalking);
  // An ACK without the answer leaves the call as it was.
  phoneSends(kPhone1001, "INVITE");
  phoneSends(kPhone1001, "ACK");
  EXPECT_EQ(agent("1001").activity, AgentActivity::kTalking);
  EXPECT_EQ(center->active(), 1U);
  hangUp(caller);
  EXPECT_EQ(awaitRecord().holdMs, 3000);
}

TEST_F(ContactCenterTest, ACallerReInvitingWithoutAnOfferIsSentWhereItsAckAnswers) {
  addPrompt("hold-music");
  start();
  auto& caller = dial(kGroupNumber, "13800000001");  // waits in the queue, hearing music
  auto before = mark();
  inDialog(caller, "INVITE");
  auto offered = sender.to(caller.port, "INVITE", 200, before);
  ASSERT_EQ(offered.size(), 1U);
  ASSERT_TRUE(sdp::parse(offered[0].body()).ok()) << offered[0].body();
  LoopbackRtp moved;
  inDialog(caller, "ACK",
           "v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n"
           "m=audio " +
               std::to_string(moved.port()) + " RTP/AVP 8\r\n",
           "application/sdp");
  EXPECT_EQ(moved.nextPayloadType(), 8) << "the music did not move to the ACK's address";
  EXPECT_TRUE(sender.to(caller.port, "BYE", 0, before).empty());
  hangUp(caller);
  EXPECT_EQ(awaitRecord().endReason, CallEndReason::kQueueAbandoned);
}

// === Queue figures ============================================================================

TEST_F(ContactCenterTest, QueueFiguresCountWaitingAgentsAnswersAndAbandons) {
  start();
  EXPECT_EQ(center->serviceLevelThresholdSeconds(), 20);
  signIn("1001", {kAfterSales});
  signIn("1002", {kAfterSales});
  ASSERT_TRUE(center->command("1002", acd::AgentEvent::setBreak("lunch")).ok());

  auto& first = dial(kGroupNumber, "13800000001");
  phoneRings(kPhone1001);
  advance(1s);
  phoneResponds(kPhone1001, 200, phoneSdp(kPhone1001));  // answered after 1 s: within 20 s
  dial(kGroupNumber, "13800000002");
  auto& third = dial(kGroupNumber, "13800000003");
  advance(2s);
  hangUp(third);
  advance(23s);

  auto q = figures(kAfterSales);
  EXPECT_EQ(q.group, "After-sales");
  EXPECT_EQ(q.waiting, 1U);
  EXPECT_EQ(q.longestWait, 25s);
  EXPECT_EQ(q.agentsSignedIn, 2U);
  EXPECT_EQ(q.agentsTalking, 1U);
  EXPECT_EQ(q.agentsOnBreak, 1U);
  EXPECT_EQ(q.agentsIdle, 0U);
  EXPECT_EQ(q.agentsRinging, 0U);
  EXPECT_EQ(q.answered, 1U);
  EXPECT_EQ(q.answeredWithinThreshold, 1U);
  EXPECT_EQ(q.abandoned, 1U);
  EXPECT_EQ(q.totalAnswerWait, 1000ms);

  hangUp(first);
  q = figures(kAfterSales);
  EXPECT_EQ(q.agentsAfterCallWork, 1U);
  EXPECT_EQ(q.agentsTalking, 0U);

  advance(15s);  // the wrap-up ends: the second caller, 40 s in the queue, is offered
  q = figures(kAfterSales);
  EXPECT_EQ(q.agentsRinging, 1U);
  EXPECT_EQ(q.waiting, 0U);
  EXPECT_EQ(fromUser(*lastInvite(kPhone1001)), "13800000002");
  phoneAnswers(kPhone1001);
  q = figures(kAfterSales);
  EXPECT_EQ(q.answered, 2U);
  EXPECT_EQ(q.answeredWithinThreshold, 1U);
  EXPECT_EQ(q.totalAnswerWait, 41000ms);
  EXPECT_EQ(q.agentsTalking, 1U);

  auto other = figures(kPreSales);
  EXPECT_EQ(other.agentsSignedIn, 0U);
  EXPECT_EQ(other.waiting, 0U);
  EXPECT_EQ(other.answered + other.abandoned + other.overflowed, 0U);
}

}  // namespace
}  // namespace sb::calls
