#pragma once
// The built web front-end served at "/".

#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace sb::api {

// The file under `root` that a URL path names, with "/" and folders meaning their index.html;
// nullopt for paths that are malformed or would leave `root` (percent-encoded "..", NUL, "\").
std::optional<std::filesystem::path> resolveStaticPath(const std::filesystem::path& root,
                                                       std::string_view urlPath);

std::string_view mimeTypeFor(const std::filesystem::path& file);

// Reads a whole regular file; nullopt if it is missing or not a regular file. Blocks: call it off
// the control loop.
std::optional<std::string> readRegularFile(const std::filesystem::path& file);

}  // namespace sb::api
