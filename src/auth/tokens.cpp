#include "auth/tokens.hpp"

#include <sodium.h>

#include "auth/passwords.hpp"

namespace sb::auth {

std::string newBearerToken() {
  initCrypto();
  unsigned char raw[32];
  randombytes_buf(raw, sizeof raw);
  char encoded[sodium_base64_ENCODED_LEN(sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(encoded, sizeof encoded, raw, sizeof raw,
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return std::string("sbt_") + encoded;
}

std::string hashToken(std::string_view token) {
  unsigned char digest[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(digest, reinterpret_cast<const unsigned char*>(token.data()), token.size());
  char hex[sizeof digest * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return hex;
}

}  // namespace sb::auth
