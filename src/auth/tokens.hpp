#pragma once

#include <string>
#include <string_view>

namespace sb::auth {

// A new bearer token: 256 random bits, URL-safe base64, prefixed "sbt_" so it is recognisable in
// logs and secret scanners.
std::string newBearerToken();

// What the store keeps instead of the token: its SHA-256, hex.
std::string hashToken(std::string_view token);

}  // namespace sb::auth
