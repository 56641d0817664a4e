#include "api/static_files.hpp"

#include <algorithm>
#include <cerrno>
#include <fstream>
#include <memory>
#include <sstream>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/router.hpp"
#include "core/file_descriptor.hpp"
#include "core/text.hpp"

namespace sb::api {

namespace fs = std::filesystem;

std::optional<fs::path> resolveStaticPath(const fs::path& root, std::string_view urlPath) {
  if (urlPath.empty() || urlPath.front() != '/') return std::nullopt;
  auto decoded = percentDecode(urlPath);
  if (!decoded || decoded->find('\0') != std::string::npos) return std::nullopt;
  fs::path relative;
  for (auto segment : splitPath(*decoded)) {
    if (segment == "." || segment == ".." || segment.find('\\') != std::string_view::npos) {
      return std::nullopt;
    }
    relative /= std::string(segment);
  }
  bool wantsFolder = decoded->back() == '/' || relative.empty();
  if (wantsFolder) relative /= "index.html";
  return root / relative;
}

std::string_view mimeTypeFor(const fs::path& file) {
  auto ext = file.extension().string();
  if (ext == ".html") return "text/html; charset=utf-8";
  if (ext == ".js" || ext == ".mjs") return "text/javascript; charset=utf-8";
  if (ext == ".css") return "text/css; charset=utf-8";
  if (ext == ".json") return "application/json";
  if (ext == ".svg") return "image/svg+xml";
  if (ext == ".png") return "image/png";
  if (ext == ".ico") return "image/x-icon";
  if (ext == ".woff2") return "font/woff2";
  if (ext == ".wav") return "audio/wav";
  if (ext == ".txt") return "text/plain; charset=utf-8";
  return "application/octet-stream";
}

std::optional<std::string> readRegularFile(const fs::path& file) {
  std::error_code ec;
  auto status = fs::status(file, ec);
  if (ec) return std::nullopt;
  if (fs::is_directory(status)) {
    // A folder named without its trailing slash: serve its index.
    return readRegularFile(file / "index.html");
  }
  if (!fs::is_regular_file(status)) return std::nullopt;
  std::ifstream in(file, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::optional<fs::path> resolveDataFile(const fs::path& root, std::string_view stored) {
  if (stored.empty() || stored.front() == '/' || stored.find('\0') != std::string_view::npos ||
      stored.find('\\') != std::string_view::npos) {
    return std::nullopt;
  }
  fs::path relative;
  for (auto segment : splitPath(stored)) {
    if (segment == "..") return std::nullopt;
    if (segment == ".") continue;
    relative /= std::string(segment);
  }
  if (relative.empty()) return std::nullopt;
  return root / relative;
}

namespace {

// An open file's bytes from `offset` on, `left` of them, read in order.
class SliceReader {
 public:
  SliceReader(FileDescriptor fd, std::uint64_t offset, std::uint64_t left)
      : fd_(std::move(fd)), offset_(offset), left_(left) {}

  std::string next(std::size_t max) {
    std::string chunk(static_cast<std::size_t>(std::min<std::uint64_t>(max, left_)), '\0');
    std::size_t done = 0;
    while (done < chunk.size()) {
      auto n = ::pread(fd_.get(), chunk.data() + done, chunk.size() - done,
                       static_cast<off_t>(offset_ + done));
      if (n < 0 && errno == EINTR) continue;
      // Truncated or unreadable while we read: a short body would pass for a whole one.
      if (n <= 0) return {};
      done += static_cast<std::size_t>(n);
    }
    offset_ += done;
    left_ -= done;
    return chunk;
  }

 private:
  FileDescriptor fd_;
  std::uint64_t offset_;
  std::uint64_t left_;
};

}  // namespace

FileSlice openFileSlice(const fs::path& file, std::string_view rangeHeader) {
  FileSlice slice;
  FileDescriptor fd(::open(file.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return slice;
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode)) return slice;
  slice.size = static_cast<std::uint64_t>(st.st_size);

  auto request = resolveRange(rangeHeader, slice.size);
  ByteRange want{0, slice.size == 0 ? 0 : slice.size - 1};
  switch (request.kind) {
    case RangeRequest::Kind::kUnsatisfiable:
      slice.outcome = FileSlice::Outcome::kUnsatisfiable;
      return slice;
    case RangeRequest::Kind::kPartial:
      slice.outcome = FileSlice::Outcome::kPartial;
      slice.range = request.range;
      want = request.range;
      break;
    case RangeRequest::Kind::kWhole:
      slice.outcome = FileSlice::Outcome::kWhole;
      if (slice.size == 0) return slice;
      break;
  }
  auto reader = std::make_shared<SliceReader>(std::move(fd), want.first, want.length());
  slice.body.length = want.length();
  slice.body.next = [reader](std::size_t max) { return reader->next(max); };
  return slice;
}

}  // namespace sb::api
