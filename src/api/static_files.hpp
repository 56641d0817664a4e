#pragma once
// Files served over HTTP: the built web front-end at "/", and recordings and voicemail from the
// data folder.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "api/byte_range.hpp"
#include "api/http_types.hpp"

namespace sb::api {

// The file under `root` that a URL path names, with "/" and folders meaning their index.html;
// nullopt for paths that are malformed or would leave `root` (percent-encoded "..", NUL, "\").
std::optional<std::filesystem::path> resolveStaticPath(const std::filesystem::path& root,
                                                       std::string_view urlPath);

std::string_view mimeTypeFor(const std::filesystem::path& file);

// Reads a whole regular file; nullopt if it is missing or not a regular file. Blocks: call it off
// the control loop.
std::optional<std::string> readRegularFile(const std::filesystem::path& file);

// The file a path stored in the database names under the data folder `root`; nullopt for a path
// that is empty, absolute, has a ".." segment, a backslash or a NUL, so that a bad row cannot
// serve a file from elsewhere. Lexical only: a symbolic link inside `root` (recordings on another
// volume) is followed.
std::optional<std::filesystem::path> resolveDataFile(const std::filesystem::path& root,
                                                     std::string_view stored);

// The bytes of a regular file that a Range header asks for.
struct FileSlice {
  enum class Outcome { kMissing, kWhole, kPartial, kUnsatisfiable };
  Outcome outcome = Outcome::kMissing;
  std::uint64_t size = 0;  // of the whole file
  ByteRange range;         // for kPartial
  // The whole file or the range, read from the file opened here as it is sent; nothing for
  // kMissing and kUnsatisfiable.
  BodySource body;
};

// Opens `file` and settles what `rangeHeader` asks for (see resolveRange). Blocks: call it off
// the control loop.
FileSlice openFileSlice(const std::filesystem::path& file, std::string_view rangeHeader);

}  // namespace sb::api
