#include "auth/passwords.hpp"

#include <sodium.h>

#include <stdexcept>

namespace sb::auth {

void initCrypto() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

std::string hashPassword(std::string_view password, HashCost cost) {
  initCrypto();
  unsigned long long ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
  std::size_t mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
  if (cost == HashCost::kTest) {
    ops = crypto_pwhash_OPSLIMIT_MIN;
    mem = crypto_pwhash_MEMLIMIT_MIN;
  }
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), ops, mem,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    throw std::runtime_error("argon2id hashing ran out of memory");
  }
  return out;
}

bool verifyPassword(std::string_view password, const std::string& encodedHash) {
  initCrypto();
  return crypto_pwhash_str_verify(encodedHash.c_str(), password.data(), password.size()) == 0;
}

const std::string& decoyHash() {
  static const std::string hash = hashPassword(randomSecret(24));
  return hash;
}

std::string randomSecret(std::size_t length) {
  initCrypto();
  // No look-alike characters: these get typed into phones by hand.
  static constexpr char kAlphabet[] = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  std::string out(length, '\0');
  for (auto& c : out) c = kAlphabet[randombytes_uniform(sizeof kAlphabet - 1)];
  return out;
}

}  // namespace sb::auth
