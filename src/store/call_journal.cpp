#include "store/call_journal.hpp"

#include <bit>
#include <cerrno>
#include <concepts>
#include <cstring>
#include <optional>

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include "store/store.hpp"

namespace sb::store {
namespace {

constexpr char kCallRecord = 'R';
constexpr char kAfterCallWork = 'W';
constexpr std::size_t kFrameBytes = 4 + 8;  // payload length, checksum

std::uint64_t checksum(std::string_view bytes) {
  std::uint64_t hash = 0xcbf29ce484222325ULL;
  for (unsigned char c : bytes) {
    hash ^= c;
    hash *= 0x100000001b3ULL;
  }
  return hash;
}

// Little-endian, whatever the host's byte order. The width is a template argument so that the
// bytes are written by one store: a record has some sixty fields.
template <std::size_t Bytes>
void writeFixed(char* at, std::uint64_t value) {
  if constexpr (std::endian::native == std::endian::little) {
    std::memcpy(at, &value, Bytes);
  } else {
    for (std::size_t i = 0; i < Bytes; ++i)
      at[i] = static_cast<char>((value >> (8 * i)) & 0xFF);
  }
}

template <std::size_t Bytes>
void putFixed(std::string& out, std::uint64_t value) {
  char buffer[Bytes];
  writeFixed<Bytes>(buffer, value);
  out.append(buffer, Bytes);
}

std::uint64_t getFixed(std::string_view in, int bytes) {
  std::uint64_t value = 0;
  for (int i = 0; i < bytes; ++i)
    value |= std::uint64_t{static_cast<unsigned char>(in[static_cast<std::size_t>(i)])} << (8 * i);
  return value;
}

// The fields of a leg and of a record, in their journal order, for the writer and the reader
// alike.
template <typename Leg, typename Visitor>
void legFields(Leg& l, Visitor& v) {
  v(l.role);
  v(l.party);
  v(l.sipCallId);
  v(l.startedAt);
  v(l.answeredAt);
  v(l.endedAt);
  v(l.sipStatus);
  v(l.mos);
  v(l.packetsReceived);
  v(l.packetsLost);
  v(l.jitterMs);
}

template <typename Record, typename Visitor>
void recordFields(Record& r, Visitor& v) {
  v(r.id);
  v(r.direction);
  v(r.caller);
  v(r.called);
  v(r.did);
  v(r.ivrPath);
  v(r.groupId);
  v(r.groupName);
  v(r.agent);
  v(r.arrivedAt);
  v(r.queuedAt);
  v(r.offeredAt);
  v(r.answeredAt);
  v(r.endedAt);
  v(r.waitMs);
  v(r.ringMs);
  v(r.talkMs);
  v(r.holdMs);
  v(r.afterCallWorkMs);
  v(r.endReason);
  v(r.endedBy);
  v(r.recording);
  v(r.voicemail);
  v(r.legs);
}

class Writer {
 public:
  explicit Writer(std::string& out) : out_(out) {}

  void operator()(std::string_view text) {
    putFixed<4>(out_, text.size());
    out_.append(text);
  }
  void operator()(std::integral auto value) {
    putFixed<8>(out_, static_cast<std::uint64_t>(value));
  }
  void operator()(double value) { putFixed<8>(out_, std::bit_cast<std::uint64_t>(value)); }
  void operator()(CallDirection d) { (*this)(callDirectionCode(d)); }
  void operator()(CallEndReason r) { (*this)(callEndReasonCode(r)); }
  void operator()(const std::vector<CallLegRecord>& legs) {
    putFixed<4>(out_, legs.size());
    for (const auto& leg : legs)
      legFields(leg, *this);
  }

 private:
  std::string& out_;
};

// Reads fields from a payload; once anything is out of bounds or unknown, `ok` stays false.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}

  bool ok() const { return ok_; }
  bool atEnd() const { return in_.empty(); }

  void operator()(std::string& text) {
    auto length = take(4);
    if (!ok_ || length > in_.size()) return fail();
    text.assign(in_.substr(0, length));
    in_.remove_prefix(length);
  }
  template <std::integral T>
  void operator()(T& value) {
    value = static_cast<T>(take(8));
  }
  void operator()(double& value) { value = std::bit_cast<double>(take(8)); }
  void operator()(CallDirection& d) { readCode(d, parseCallDirection); }
  void operator()(CallEndReason& r) { readCode(r, parseCallEndReason); }
  void operator()(std::vector<CallLegRecord>& legs) {
    auto count = take(4);
    // A leg takes more than 8 bytes: a count beyond that is damage, not a reason to allocate.
    if (!ok_ || count > in_.size() / 8) return fail();
    legs.resize(count);
    for (auto& leg : legs)
      legFields(leg, *this);
  }

 private:
  std::uint64_t take(std::size_t bytes) {
    if (!ok_ || in_.size() < bytes) {
      fail();
      return 0;
    }
    auto value = getFixed(in_, static_cast<int>(bytes));
    in_.remove_prefix(bytes);
    return value;
  }
  void fail() { ok_ = false; }

  template <typename Enum, typename Parse>
  void readCode(Enum& value, Parse parse) {
    std::string code;
    (*this)(code);
    if (auto parsed = parse(code)) {
      value = *parsed;
    } else {
      fail();
    }
  }

  std::string_view in_;
  bool ok_ = true;
};

std::optional<JournalEntry> decodePayload(std::string_view payload) {
  if (payload.empty()) return std::nullopt;
  char type = payload.front();
  Reader reader(payload.substr(1));
  if (type == kCallRecord) {
    CallRecord r;
    recordFields(r, reader);
    if (reader.ok() && reader.atEnd()) return r;
  } else if (type == kAfterCallWork) {
    AfterCallWorkEntry w;
    reader(w.callId);
    reader(w.afterCallWorkMs);
    if (reader.ok() && reader.atEnd()) return w;
  }
  return std::nullopt;
}

[[noreturn]] void fail(const std::filesystem::path& file, std::string_view what) {
  throw StoreError(
      fmt::format("call journal {}: {}: {}", file.string(), what, std::strerror(errno)));
}

}  // namespace

void encodeJournalEntry(const JournalEntry& entry, std::string& out) {
  auto start = out.size();
  out.append(kFrameBytes, '\0');
  Writer writer(out);
  if (const auto* record = std::get_if<CallRecord>(&entry)) {
    out.push_back(kCallRecord);
    recordFields(*record, writer);
  } else {
    const auto& work = std::get<AfterCallWorkEntry>(entry);
    out.push_back(kAfterCallWork);
    writer(work.callId);
    writer(work.afterCallWorkMs);
  }
  std::string_view payload = std::string_view(out).substr(start + kFrameBytes);
  writeFixed<4>(&out[start], payload.size());
  writeFixed<8>(&out[start + 4], checksum(payload));
}

JournalContents decodeJournal(std::string_view bytes) {
  JournalContents contents;
  while (bytes.size() >= kFrameBytes) {
    auto length = getFixed(bytes, 4);
    if (length > bytes.size() - kFrameBytes) break;
    auto payload = bytes.substr(kFrameBytes, length);
    if (checksum(payload) != getFixed(bytes.substr(4), 8)) break;
    auto entry = decodePayload(payload);
    if (!entry) break;
    contents.entries.push_back(std::move(*entry));
    bytes.remove_prefix(kFrameBytes + length);
  }
  contents.discardedBytes = bytes.size();
  return contents;
}

CallJournal::CallJournal(std::filesystem::path file) : file_(std::move(file)) {
  fd_ = ::open(file_.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd_ < 0) fail(file_, "cannot open");
  if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
    int error = errno;
    ::close(fd_);
    errno = error;
    if (error == EWOULDBLOCK) {
      throw StoreError(
          fmt::format("call journal {} is in use: another switchboard runs on this "
                      "database",
                      file_.string()));
    }
    fail(file_, "cannot lock");
  }
  off_t end = ::lseek(fd_, 0, SEEK_END);
  if (end < 0) {
    ::close(fd_);
    fail(file_, "cannot read");
  }
  size_ = static_cast<std::uint64_t>(end);
}

CallJournal::~CallJournal() {
  ::close(fd_);
}

JournalContents CallJournal::read() const {
  std::string bytes(size_, '\0');
  std::size_t done = 0;
  while (done < bytes.size()) {
    auto n = ::pread(fd_, bytes.data() + done, bytes.size() - done, static_cast<off_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail(file_, "cannot read");
    if (n == 0) break;
    done += static_cast<std::size_t>(n);
  }
  bytes.resize(done);
  return decodeJournal(bytes);
}

void CallJournal::append(std::string_view bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    auto n = ::write(fd_, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int error = errno;
      // A torn entry would hide every later one from the replay: cut it off again (should that
      // fail too, the reader stops at the damage).
      [[maybe_unused]] int truncated = ::ftruncate(fd_, static_cast<off_t>(size_));
      errno = error;
      fail(file_, "cannot write");
    }
    done += static_cast<std::size_t>(n);
  }
  size_ += bytes.size();
}

void CallJournal::clear() {
  if (size_ == 0) return;
  if (::ftruncate(fd_, 0) != 0) fail(file_, "cannot empty");
  size_ = 0;
}

}  // namespace sb::store
