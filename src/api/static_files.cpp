#include "api/static_files.hpp"

#include <fstream>
#include <sstream>

#include "api/router.hpp"
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

}  // namespace sb::api
