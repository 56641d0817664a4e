#pragma once

#include <string>
#include <string_view>

namespace sb::auth {

// argon2id cost: kInteractive for real passwords, kTest (the minimum) for unit tests only.
enum class HashCost { kInteractive, kTest };

// Calls sodium_init(); safe to call more than once and from any thread. Throws if it fails.
void initCrypto();

// Hashes a password with argon2id into libsodium's self-describing encoded form. Slow on purpose
// (tens of milliseconds): call off the control loop.
std::string hashPassword(std::string_view password, HashCost cost = HashCost::kInteractive);

// Constant-time check against an encoded hash. Slow like hashPassword().
bool verifyPassword(std::string_view password, const std::string& encodedHash);

// A hash of a random password, verified against when a username does not exist so that unknown
// users and wrong passwords take the same time.
const std::string& decoyHash();

// A random printable secret, e.g. for SIP passwords nobody set.
std::string randomSecret(std::size_t length);

}  // namespace sb::auth
