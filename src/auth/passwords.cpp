#include "auth/passwords.hpp"

#include <stdexcept>

#include <sodium.h>

namespace sb::auth {

void initCrypto() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium failed to initialise");
}

std::string hashPassword(std::string_view password, HashCost cost) {
  initCrypto();
  // OWASP's argon2id baseline (m=19 MiB, t=2, p=1): about 20 ms here, so a shift of agents
  // signing in at once does not queue, while a stolen hash still costs dearly to crack.
  unsigned long long ops = 2;
  std::size_t mem = std::size_t{19} * 1024 * 1024;
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
  for (auto& c : out)
    c = kAlphabet[randombytes_uniform(sizeof kAlphabet - 1)];
  return out;
}

}  // namespace sb::auth
