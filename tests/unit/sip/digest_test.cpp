#include "sip/digest.hpp"

#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <openssl/evp.h>

namespace sb::sip::digest {
namespace {

using namespace std::chrono_literals;
using namespace std::string_literals;

// RFC 7616 §3.9.1 (password with a lower-case "of", errata 4495).
constexpr std::string_view kRfcUser = "Mufasa";
constexpr std::string_view kRfcPassword = "Circle of Life";
constexpr std::string_view kRfcRealm = "http-auth@example.org";
constexpr std::string_view kRfcNonce = "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v";
constexpr std::string_view kRfcCnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
constexpr std::string_view kRfcOpaque = "FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS";
constexpr std::string_view kRfcMd5Response = "8ca523f5e9506fed4657c9700eebdbec";
constexpr std::string_view kRfcSha256Response =
    "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1";

DigestInput rfc7616Input() {
  DigestInput input;
  input.username = kRfcUser;
  input.realm = kRfcRealm;
  input.secret = Secret::password(kRfcPassword);
  input.method = "GET";
  input.uri = "/dir/index.html";
  input.nonce = kRfcNonce;
  input.nc = "00000001";
  input.cnonce = kRfcCnonce;
  input.qop = "auth";
  return input;
}

// The tests' own hash, straight from OpenSSL, so that expected values do not come from the code
// under test.
std::string independentHex(const EVP_MD* md, std::string_view text) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  EXPECT_EQ(EVP_Digest(text.data(), text.size(), out, &length, md, nullptr), 1);
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string hex;
  for (unsigned int i = 0; i < length; ++i) {
    hex += kDigits[out[i] >> 4];
    hex += kDigits[out[i] & 0x0f];
  }
  return hex;
}
std::string md5(std::string_view text) {
  return independentHex(EVP_md5(), text);
}
std::string sha256(std::string_view text) {
  return independentHex(EVP_sha256(), text);
}

// What the registrar uses in these tests: realm "switchboard", MD5 and SHA-256 challenged.
ServerPolicy policy() {
  return ServerPolicy{};
}

Credentials parsed(std::string_view value) {
  auto result = parseCredentials(value);
  EXPECT_TRUE(result.ok()) << value << ": " << (result.ok() ? "" : result.error().message);
  return result.ok() ? result.value() : Credentials{};
}

// ---- Algorithms ----

TEST(DigestTest, Rfc7616Md5ExampleMatches) {
  EXPECT_EQ(computeResponse(Algorithm::kMd5, rfc7616Input()), kRfcMd5Response);
}

TEST(DigestTest, Rfc7616Sha256ExampleMatches) {
  EXPECT_EQ(computeResponse(Algorithm::kSha256, rfc7616Input()), kRfcSha256Response);
}

TEST(DigestTest, Rfc2617ExampleMatches) {
  DigestInput input;
  input.username = "Mufasa";
  input.realm = "testrealm@host.com";
  input.secret = Secret::password("Circle Of Life");
  input.method = "GET";
  input.uri = "/dir/index.html";
  input.nonce = "dcd98b7102dd2f0e8b11d0f600bfb0c093";
  input.nc = "00000001";
  input.cnonce = "0a4f113b";
  input.qop = "auth";
  EXPECT_EQ(computeResponse(Algorithm::kMd5, input), "6629fae49393a05397450978507c4ef1");
}

TEST(DigestTest, SipRegisterResponseMatchesAnIndependentComputation) {
  DigestInput input;
  input.username = "1001";
  input.realm = "switchboard";
  input.secret = Secret::password("demo");
  input.method = "REGISTER";
  input.uri = "sip:127.0.0.1:5060";
  input.nonce = "c1a7e0f45b2d";
  input.nc = "0000000a";
  input.cnonce = "deadbeef";
  input.qop = "auth";
  std::string md5Ha1 = md5("1001:switchboard:demo");
  std::string md5Ha2 = md5("REGISTER:sip:127.0.0.1:5060");
  EXPECT_EQ(computeResponse(Algorithm::kMd5, input),
            md5(md5Ha1 + ":c1a7e0f45b2d:0000000a:deadbeef:auth:" + md5Ha2));
  std::string shaHa1 = sha256("1001:switchboard:demo");
  std::string shaHa2 = sha256("REGISTER:sip:127.0.0.1:5060");
  EXPECT_EQ(computeResponse(Algorithm::kSha256, input),
            sha256(shaHa1 + ":c1a7e0f45b2d:0000000a:deadbeef:auth:" + shaHa2));
}

TEST(DigestTest, ResponseWithoutQopFollowsRfc2069) {
  DigestInput input;
  input.username = "1004";
  input.realm = "switchboard";
  input.secret = Secret::password("demo");
  input.method = "INVITE";
  input.uri = "sip:1005@switchboard";
  input.nonce = "4e5f6a7b";
  EXPECT_EQ(computeResponse(Algorithm::kMd5, input),
            md5(md5("1004:switchboard:demo") + ":4e5f6a7b:" + md5("INVITE:sip:1005@switchboard")));
}

TEST(DigestTest, SessAlgorithmsFoldNonceAndCnonceIntoHa1) {
  DigestInput input = rfc7616Input();
  std::string md5Ha1 = md5(md5("Mufasa:http-auth@example.org:Circle of Life") + ":" +
                           std::string(kRfcNonce) + ":" + std::string(kRfcCnonce));
  EXPECT_EQ(computeResponse(Algorithm::kMd5Sess, input),
            md5(md5Ha1 + ":" + std::string(kRfcNonce) + ":00000001:" + std::string(kRfcCnonce) +
                ":auth:" + md5("GET:/dir/index.html")));
  std::string shaHa1 = sha256(sha256("Mufasa:http-auth@example.org:Circle of Life") + ":" +
                              std::string(kRfcNonce) + ":" + std::string(kRfcCnonce));
  EXPECT_EQ(computeResponse(Algorithm::kSha256Sess, input),
            sha256(shaHa1 + ":" + std::string(kRfcNonce) + ":00000001:" + std::string(kRfcCnonce) +
                   ":auth:" + sha256("GET:/dir/index.html")));
  EXPECT_NE(computeResponse(Algorithm::kSha256Sess, input), kRfcSha256Response);
}

TEST(DigestTest, AuthIntHashesTheBody) {
  DigestInput input = rfc7616Input();
  input.qop = "auth-int";
  input.body = "v=0\r\n";
  std::string ha2 = md5("GET:/dir/index.html:" + md5("v=0\r\n"));
  EXPECT_EQ(computeResponse(Algorithm::kMd5, input),
            md5(md5("Mufasa:http-auth@example.org:Circle of Life") + ":" + std::string(kRfcNonce) +
                ":00000001:" + std::string(kRfcCnonce) + ":auth-int:" + ha2));
  DigestInput otherBody = input;
  otherBody.body = "v=1\r\n";
  EXPECT_NE(computeResponse(Algorithm::kMd5, otherBody), computeResponse(Algorithm::kMd5, input));
}

TEST(DigestTest, Ha1IsTheHashOfUsernameRealmAndPassword) {
  EXPECT_EQ(ha1(Algorithm::kMd5, "1001", "switchboard", "demo"), md5("1001:switchboard:demo"));
  EXPECT_EQ(ha1(Algorithm::kSha256, "1001", "switchboard", "demo"),
            sha256("1001:switchboard:demo"));
  // The -sess algorithms store the same HA1; nonce and cnonce are folded in per request.
  EXPECT_EQ(ha1(Algorithm::kSha256Sess, "1001", "switchboard", "demo"),
            sha256("1001:switchboard:demo"));
}

TEST(DigestTest, PrecomputedHa1GivesTheSameResponseAsThePassword) {
  for (Algorithm algorithm :
       {Algorithm::kMd5, Algorithm::kMd5Sess, Algorithm::kSha256, Algorithm::kSha256Sess}) {
    DigestInput withPassword = rfc7616Input();
    std::string stored = ha1(algorithm, kRfcUser, kRfcRealm, kRfcPassword);
    DigestInput withHa1 = withPassword;
    withHa1.secret = Secret::ha1(stored);
    EXPECT_EQ(computeResponse(algorithm, withHa1), computeResponse(algorithm, withPassword))
        << algorithmName(algorithm);
    std::string upper = stored;
    for (char& c : upper) {
      c = static_cast<char>(c >= 'a' && c <= 'f' ? c - 'a' + 'A' : c);
    }
    withHa1.secret = Secret::ha1(upper);
    EXPECT_EQ(computeResponse(algorithm, withHa1), computeResponse(algorithm, withPassword))
        << algorithmName(algorithm);
  }
}

TEST(DigestTest, AlgorithmNamesRoundTripCaseInsensitively) {
  for (Algorithm algorithm :
       {Algorithm::kMd5, Algorithm::kMd5Sess, Algorithm::kSha256, Algorithm::kSha256Sess}) {
    EXPECT_EQ(parseAlgorithm(algorithmName(algorithm)), algorithm);
  }
  EXPECT_EQ(algorithmName(Algorithm::kSha256Sess), "SHA-256-sess");
  EXPECT_EQ(parseAlgorithm("sha-256"), Algorithm::kSha256);
  EXPECT_EQ(parseAlgorithm("md5-SESS"), Algorithm::kMd5Sess);
  EXPECT_EQ(parseAlgorithm("SHA-512-256"), std::nullopt);
  EXPECT_EQ(parseAlgorithm("AKAv1-MD5"), std::nullopt);
  EXPECT_EQ(parseAlgorithm("MD5 "), std::nullopt);
  EXPECT_EQ(parseAlgorithm(""), std::nullopt);
  EXPECT_EQ(hexLength(Algorithm::kMd5Sess), 32U);
  EXPECT_EQ(hexLength(Algorithm::kSha256), 64U);
}

// ---- Parsing credentials from real clients ----
// Shaped as each client writes them (order, spacing, quoting); the responses were computed for
// user "100x", password "demo", realm "switchboard", method REGISTER.

TEST(DigestTest, ParsesAndVerifiesBaresipCredentials) {
  auto credentials =
      parsed(R"(Digest username="1001", realm="switchboard", nonce="9f1c0a7e3b5d4c2a", )"
             R"(uri="sip:127.0.0.1:5060", response="bcf9b61ba3a14f6eb27bb5c4a4ff266f", )"
             R"(algorithm=MD5, cnonce="7d1a3a6b2c9f4e05", qop=auth, nc=00000001)");
  EXPECT_EQ(credentials.username, "1001");
  EXPECT_EQ(credentials.realm, "switchboard");
  EXPECT_EQ(credentials.nonce, "9f1c0a7e3b5d4c2a");
  EXPECT_EQ(credentials.uri, "sip:127.0.0.1:5060");
  EXPECT_EQ(credentials.response, "bcf9b61ba3a14f6eb27bb5c4a4ff266f");
  EXPECT_EQ(credentials.algorithm, Algorithm::kMd5);
  EXPECT_EQ(credentials.cnonce, "7d1a3a6b2c9f4e05");
  EXPECT_EQ(credentials.qop, "auth");
  EXPECT_EQ(credentials.nc, "00000001");
  EXPECT_EQ(credentials.opaque, "");
  EXPECT_TRUE(verify(credentials, policy(), Secret::password("demo"), "REGISTER"));
}

TEST(DigestTest, ParsesAndVerifiesLinphoneSha256Credentials) {
  auto credentials =
      parsed(R"(Digest realm="switchboard", nonce="Yz3kQm8vR2tX5wLp", algorithm=SHA-256, )"
             R"(opaque="+GNywA==", username="1002",  uri="sip:switchboard.local", )"
             R"(response="77f97b978879fd28d62aec8ea3bf2c9b6cea810165639d085998f1acbf22736f", )"
             R"(cnonce="1sjsPs4aZc", nc=00000001, qop=auth)");
  EXPECT_EQ(credentials.username, "1002");
  EXPECT_EQ(credentials.algorithm, Algorithm::kSha256);
  EXPECT_EQ(credentials.opaque, "+GNywA==");
  EXPECT_EQ(credentials.uri, "sip:switchboard.local");
  EXPECT_TRUE(verify(credentials, policy(), Secret::password("demo"), "REGISTER"));
}

TEST(DigestTest, ParsesAndVerifiesSippCredentialsWithoutSpaces) {
  auto credentials =
      parsed(R"(Digest username="1003",realm="switchboard",cnonce="6b8b4567",nc=00000001,qop=auth,)"
             R"(uri="sip:127.0.0.1:5060",nonce="b64+nonce/with=chars",)"
             R"(response="f06baedc04eb0c042d224e4bb5facfaa",algorithm=MD5)");
  EXPECT_EQ(credentials.username, "1003");
  EXPECT_EQ(credentials.nonce, "b64+nonce/with=chars");
  EXPECT_EQ(credentials.cnonce, "6b8b4567");
  EXPECT_TRUE(verify(credentials, policy(), Secret::password("demo"), "REGISTER"));
}

TEST(DigestTest, ParsesSipviciousCredentialsWhichHaveNoQop) {
  auto credentials =
      parsed(R"(Digest username="1004",realm="switchboard",nonce="4e5f6a7b",uri="sip:127.0.0.1",)"
             R"(response="61f698ee970e8e8cf21071fc6858a6a6",algorithm=MD5)");
  EXPECT_EQ(credentials.qop, "");
  EXPECT_EQ(credentials.nc, "");
  EXPECT_EQ(credentials.cnonce, "");
  // Scanners and RFC 2069 phones: refused unless the registrar is configured for them.
  EXPECT_FALSE(verify(credentials, policy(), Secret::password("demo"), "REGISTER"));
  ServerPolicy legacy = policy();
  legacy.allowNoQop = true;
  EXPECT_TRUE(verify(credentials, legacy, Secret::password("demo"), "REGISTER"));
}

TEST(DigestTest, ParsesTheCompactFormFromTheBrief) {
  auto credentials =
      parsed(R"(Digest username="1001",realm="switchboard",nonce="abc",uri="sip:127.0.0.1:5060",)"
             R"(response="af7a1a9f414fc2177d1091848308cf30",algorithm=MD5,cnonce="x",qop=auth,)"
             R"(nc=00000001)");
  EXPECT_EQ(credentials.nonce, "abc");
  EXPECT_TRUE(verify(credentials, policy(), Secret::password("demo"), "REGISTER"));
  EXPECT_FALSE(verify(credentials, policy(), Secret::password("demo2"), "REGISTER"));
}

TEST(DigestTest, SchemeAndParameterNamesAreCaseInsensitive) {
  auto credentials =
      parsed(R"(dIGEST USERNAME="u", Realm="r", NONCE="n", Uri="sip:x", RESPONSE="00", )"
             R"(Algorithm=sha-256, QOP=auth, NC=00000002, CNonce="c", Opaque="o")");
  EXPECT_EQ(credentials.username, "u");
  EXPECT_EQ(credentials.realm, "r");
  EXPECT_EQ(credentials.algorithm, Algorithm::kSha256);
  EXPECT_EQ(credentials.nc, "00000002");
  EXPECT_EQ(credentials.cnonce, "c");
  EXPECT_EQ(credentials.opaque, "o");
}

TEST(DigestTest, WhitespaceMaySurroundEqualsSignsAndCommas) {
  auto credentials = parsed(
      "  Digest \t username \t= \"u\" ,\trealm=  \"r\"  ,nonce =\"n\",\r\n uri=\"sip:x\" , "
      "response\t=\t\"00\"  \t");
  EXPECT_EQ(credentials.username, "u");
  EXPECT_EQ(credentials.realm, "r");
  EXPECT_EQ(credentials.nonce, "n");
  EXPECT_EQ(credentials.uri, "sip:x");
  EXPECT_EQ(credentials.response, "00");
}

TEST(DigestTest, QuotedStringsUndoBackslashEscapes) {
  auto credentials = parsed(
      R"(Digest username="a\"b\\c\d", realm="quote \"here\", comma", nonce="n", uri="sip:x", )"
      R"(response="00")");
  EXPECT_EQ(credentials.username, R"(a"b\cd)");
  EXPECT_EQ(credentials.realm, R"(quote "here", comma)");
}

TEST(DigestTest, QuotedStringsKeepUtf8AndTurnFoldsIntoOneSpace) {
  auto credentials = parsed(
      "Digest username=\"\xe6\xb8\xa9\xe5\xb9\xb3\", realm=\"two\r\n\tlines\", nonce=\"n\", "
      "uri=\"sip:x\", response=\"00\"");
  EXPECT_EQ(credentials.username, "\xe6\xb8\xa9\xe5\xb9\xb3");
  EXPECT_EQ(credentials.realm, "two lines");
}

TEST(DigestTest, BareValuesAreAcceptedWhereQuotesAreExpected) {
  auto credentials = parsed(
      "Digest username=1001, realm=switchboard, nonce=a/b+c==, uri=sip:127.0.0.1, "
      "response=0a1b, qop=\"auth\", nc=\"00000001\", cnonce=x");
  EXPECT_EQ(credentials.username, "1001");
  EXPECT_EQ(credentials.nonce, "a/b+c==");
  EXPECT_EQ(credentials.uri, "sip:127.0.0.1");
  EXPECT_EQ(credentials.qop, "auth");
  EXPECT_EQ(credentials.nc, "00000001");
}

TEST(DigestTest, UnknownParametersAndEmptyListElementsAreIgnored) {
  auto credentials =
      parsed(R"(Digest ,username="u",, realm="r", x-ext="1", nonce="n", userhash=false, )"
             R"(uri="sip:x", charset=UTF-8, response="00",)");
  EXPECT_EQ(credentials.username, "u");
  EXPECT_EQ(credentials.response, "00");
}

TEST(DigestTest, AlgorithmDefaultsToMd5) {
  auto credentials = parsed(R"(Digest username="u", realm="r", nonce="n", uri="u", response="0")");
  EXPECT_EQ(credentials.algorithm, Algorithm::kMd5);
}

// ---- Parsing errors ----

TEST(DigestTest, AnotherSchemeIsReportedApartFromMalformedDigest) {
  for (std::string_view value : {"Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", "Bearer sbt_abc", "NTLM",
                                 "Digestive x=1", "  basic  realm=\"x\""}) {
    auto result = parseCredentials(value);
    ASSERT_FALSE(result.ok()) << value;
    EXPECT_TRUE(isOtherScheme(result.error())) << value;
    EXPECT_EQ(result.error().code, ErrorCode::kUnauthenticated) << value;
    EXPECT_FALSE(parseChallenge(value).ok()) << value;
    EXPECT_TRUE(isOtherScheme(parseChallenge(value).error())) << value;
  }
  auto malformed = parseCredentials("Digest username=");
  ASSERT_FALSE(malformed.ok());
  EXPECT_FALSE(isOtherScheme(malformed.error()));
  EXPECT_EQ(malformed.error().code, ErrorCode::kInvalidArgument);
}

TEST(DigestTest, EachMissingRequiredParameterIsNamed) {
  const std::vector<std::pair<std::string, std::string>> params = {
      {"username", R"(username="u")"},
      {"realm", R"(realm="r")"},
      {"nonce", R"(nonce="n")"},
      {"uri", R"(uri="sip:x")"},
      {"response", R"(response="00")"}};
  for (const auto& [missing, _] : params) {
    std::string value = "Digest ";
    for (const auto& [name, text] : params) {
      if (name != missing) {
        value += text + ", ";
      }
    }
    value += "algorithm=MD5";
    auto result = parseCredentials(value);
    ASSERT_FALSE(result.ok()) << value;
    EXPECT_EQ(result.error().code, ErrorCode::kInvalidArgument);
    EXPECT_EQ(result.error().field, missing);
    EXPECT_NE(result.error().message.find(missing), std::string::npos) << result.error().message;
  }
  EXPECT_EQ(parseCredentials("Digest").error().field, "username");
}

TEST(DigestTest, DuplicateParametersAreRejected) {
  auto result = parseCredentials(
      R"(Digest username="u", realm="r", nonce="n", uri="sip:x", response="00", USERNAME="v")");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().field, "username");
  EXPECT_NE(result.error().message.find("duplicate"), std::string::npos);
  auto challenge = parseChallenge(R"(Digest realm="r", nonce="n", qop="auth", qop="auth-int")");
  ASSERT_FALSE(challenge.ok());
  EXPECT_EQ(challenge.error().field, "qop");
}

TEST(DigestTest, UnknownAlgorithmIsRejected) {
  auto result =
      parseCredentials(R"(Digest username="u", realm="r", nonce="n", uri="sip:x", response="00", )"
                       R"(algorithm=SHA-512-256)");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().field, "algorithm");
  EXPECT_NE(result.error().message.find("SHA-512-256"), std::string::npos);
  EXPECT_FALSE(isOtherScheme(result.error()));
}

TEST(DigestTest, QopNeedsCnonceAndNc) {
  constexpr std::string_view kBase =
      R"(Digest username="u", realm="r", nonce="n", uri="sip:x", response="00", qop=auth)";
  auto noCnonce = parseCredentials(std::string(kBase) + ", nc=00000001");
  ASSERT_FALSE(noCnonce.ok());
  EXPECT_EQ(noCnonce.error().field, "cnonce");
  auto noNc = parseCredentials(std::string(kBase) + ", cnonce=\"c\"");
  ASSERT_FALSE(noNc.ok());
  EXPECT_EQ(noNc.error().field, "nc");
  EXPECT_TRUE(parseCredentials(std::string(kBase) + ", cnonce=\"c\", nc=00000001").ok());
}

TEST(DigestTest, MalformedNonceCountIsRejected) {
  for (std::string_view nc : {"1", "0000001", "000000001", "0000000g", "\"\"", "-0000001"}) {
    auto result = parseCredentials(
        std::string(R"(Digest username="u", realm="r", nonce="n", uri="sip:x", response="00", )"
                    R"(qop=auth, cnonce="c", nc=)") +
        std::string(nc));
    ASSERT_FALSE(result.ok()) << nc;
    EXPECT_EQ(result.error().field, "nc") << nc;
  }
}

TEST(DigestTest, UserhashIsRejected) {
  auto result = parseCredentials(
      R"(Digest username="488869477bf257147b804c45308cd62ac4e25eb717b12b298c79e62dcea254ec", )"
      R"(realm="r", nonce="n", uri="sip:x", response="00", userhash=TRUE)");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().field, "userhash");
}

TEST(DigestTest, SyntaxErrorsAreRejectedWithTheirOffset) {
  const std::vector<std::string> bad = {
      "",
      "   ",
      "\"Digest\" username=\"u\"",
      "Digest,username=\"u\"",
      "Digest\"u\"",
      "Digest username",
      "Digest username \"u\"",
      "Digest username=",
      "Digest username= ,realm=\"r\"",
      "Digest username=\"unterminated",
      "Digest username=\"escape at end\\",
      "Digest username=\"u\" realm=\"r\"",
      "Digest username=\"u\"x, realm=\"r\"",
      "Digest username=\"line\nbreak\"",
      "Digest username=\"bare\rcr\"",
      "Digest username=\"nul\0inside\""s,
      "Digest username=\"escaped \\\x01 control\"",
      "Digest username=u\x01, realm=r",
      "Digest username=caf\xc3\xa9, realm=r",
      "Digest =\"u\"",
      "Digest username=\"u\", \"realm\"=\"r\"",
      "Digest username=\"u\"\r\nrealm=\"r\"",
  };
  for (const std::string& value : bad) {
    auto credentials = parseCredentials(value);
    ASSERT_FALSE(credentials.ok()) << value;
    EXPECT_EQ(credentials.error().code, ErrorCode::kInvalidArgument) << value;
    EXPECT_FALSE(isOtherScheme(credentials.error())) << value;
    EXPECT_FALSE(credentials.error().message.empty()) << value;
    EXPECT_FALSE(parseChallenge(value).ok()) << value;
  }
  EXPECT_NE(parseCredentials("Digest username \"u\"").error().message.find("offset 16"),
            std::string::npos);
}

TEST(DigestTest, ValuesOverFourKibibytesAreRejected) {
  std::string prefix = R"(Digest username="u", realm="r", nonce="n", uri="sip:x", response="00", )"
                       R"(x=")";
  std::string fits = prefix + std::string(kMaxValueLength - prefix.size() - 1, 'a') + "\"";
  ASSERT_EQ(fits.size(), kMaxValueLength);
  EXPECT_TRUE(parseCredentials(fits).ok());
  std::string over = prefix + std::string(kMaxValueLength - prefix.size(), 'a') + "\"";
  auto result = parseCredentials(over);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().field, "value");
  EXPECT_NE(result.error().message.find("4096"), std::string::npos);
  EXPECT_FALSE(parseChallenge(std::string(100000, 'D')).ok());
}

// Run under ASan/UBSan this is a small, deterministic cousin of the fuzzer: every prefix and many
// single-byte changes of valid values must come back as a value or an error, never a crash.
TEST(DigestTest, ParsersSurviveTruncationsAndByteChanges) {
  const std::vector<std::string> seeds = {
      R"(Digest username="a\"b", realm="switchboard", nonce="9f1c", uri="sip:127.0.0.1", )"
      R"(response="bcf9", algorithm=SHA-256-sess, cnonce="7d1a", qop=auth, nc=00000001, )"
      "opaque=\"o\",\r\n x=y",
      R"(Digest realm="r", domain="sip:a sip:b", nonce="n", opaque="o", stale=TRUE, )"
      R"(algorithm=MD5, qop="auth,auth-int")",
  };
  const char replacements[] = {'\0', '"',  '\\', ',', '=',    ' ',
                               '\t', '\r', '\n', 'a', '\x7f', '\xff'};
  std::size_t errors = 0;
  for (const std::string& seed : seeds) {
    for (std::size_t length = 0; length <= seed.size(); ++length) {
      std::string_view prefix(seed.data(), length);
      auto credentials = parseCredentials(prefix);
      auto challenge = parseChallenge(prefix);
      errors += (credentials.ok() ? 0 : 1) + (challenge.ok() ? 0 : 1);
      if (!credentials.ok()) {
        EXPECT_FALSE(credentials.error().message.empty());
      }
    }
    for (std::size_t i = 0; i < seed.size(); ++i) {
      for (char replacement : replacements) {
        std::string changed = seed;
        changed[i] = replacement;
        auto credentials = parseCredentials(changed);
        auto challenge = parseChallenge(changed);
        if (credentials.ok()) {
          // Whatever parses formats to something that parses to the same.
          EXPECT_EQ(parseCredentials(formatCredentials(*credentials)).value(), *credentials);
        }
        if (challenge.ok()) {
          EXPECT_EQ(parseChallenge(formatChallenge(*challenge)).value(), *challenge);
        }
      }
    }
  }
  EXPECT_GT(errors, 0U);
  EXPECT_TRUE(parseCredentials(seeds[0]).ok());
  EXPECT_TRUE(parseChallenge(seeds[1]).ok());
}

// ---- Challenges ----

TEST(DigestTest, ParsesAChallengeWithQopListStaleAndDomain) {
  auto challenge = parseChallenge(
      R"(Digest realm="switchboard", domain="sip:switchboard sip:10.0.0.1", )"
      R"(nonce="abc", opaque="xyz", algorithm=SHA-256-sess, qop="auth, auth-int", stale=true)");
  ASSERT_TRUE(challenge.ok()) << challenge.error().message;
  EXPECT_EQ(challenge->realm, "switchboard");
  EXPECT_EQ(challenge->domain, "sip:switchboard sip:10.0.0.1");
  EXPECT_EQ(challenge->nonce, "abc");
  EXPECT_EQ(challenge->opaque, "xyz");
  EXPECT_EQ(challenge->algorithm, Algorithm::kSha256Sess);
  EXPECT_EQ(challenge->qop, (std::vector<std::string>{"auth", "auth-int"}));
  EXPECT_TRUE(challenge->stale);
}

TEST(DigestTest, ParsesCarrierAndPbxChallenges) {
  // Asterisk: algorithm first, no qop.
  auto asterisk = parseChallenge(R"(Digest algorithm=MD5, realm="asterisk", nonce="1b3e2f4d")");
  ASSERT_TRUE(asterisk.ok());
  EXPECT_EQ(asterisk->realm, "asterisk");
  EXPECT_TRUE(asterisk->qop.empty());
  EXPECT_FALSE(asterisk->stale);
  // Kamailio.
  auto kamailio =
      parseChallenge(R"(Digest realm="ims.mnc011.mcc432.3gppnetwork.org", )"
                     R"(nonce="9141ed3a3de48a878ba1467f9cfa0a88", algorithm=MD5, qop="auth")");
  ASSERT_TRUE(kamailio.ok());
  EXPECT_EQ(kamailio->qop, std::vector<std::string>{"auth"});
  // An embedded server: unquoted qop, empty opaque.
  auto embedded =
      parseChallenge(R"(Digest realm="169.254.207.10", qop=auth, nonce="3401", opaque="")");
  ASSERT_TRUE(embedded.ok());
  EXPECT_EQ(embedded->qop, std::vector<std::string>{"auth"});
  EXPECT_EQ(embedded->opaque, "");
  // RFC 8760 SHA-256 challenge, the algorithm absent means MD5 elsewhere.
  auto sha = parseChallenge(R"(Digest realm="r",nonce="n",algorithm=SHA-256,qop="auth")");
  ASSERT_TRUE(sha.ok());
  EXPECT_EQ(sha->algorithm, Algorithm::kSha256);
  EXPECT_EQ(parseChallenge(R"(Digest realm="r",nonce="n")")->algorithm, Algorithm::kMd5);
}

TEST(DigestTest, StaleIsTrueOnlyForTrueInAnyCase) {
  auto staleOf = [](std::string_view value) {
    auto challenge =
        parseChallenge(std::string(R"(Digest realm="r", nonce="n", stale=)") + std::string(value));
    EXPECT_TRUE(challenge.ok()) << value;
    return challenge.ok() && challenge->stale;
  };
  EXPECT_TRUE(staleOf("true"));
  EXPECT_TRUE(staleOf("TRUE"));
  EXPECT_TRUE(staleOf("\"True\""));
  EXPECT_FALSE(staleOf("false"));
  EXPECT_FALSE(staleOf("yes"));
  EXPECT_FALSE(staleOf("1"));
}

TEST(DigestTest, ChallengeErrorsNameTheParameter) {
  EXPECT_EQ(parseChallenge(R"(Digest nonce="n")").error().field, "realm");
  EXPECT_EQ(parseChallenge(R"(Digest realm="r")").error().field, "nonce");
  EXPECT_EQ(parseChallenge(R"(Digest realm="r", nonce="n", algorithm=SHA-512-256)").error().field,
            "algorithm");
  EXPECT_EQ(parseChallenge(R"(Digest realm="r", nonce="n", realm="s")").error().field, "realm");
  EXPECT_EQ(parseChallenge(R"(Digest realm="r", nonce="n", qop="auth, a b")").error().field, "qop");
  EXPECT_TRUE(parseChallenge(R"(Digest realm="r", nonce="n", qop="auth,,")").ok());
}

// ---- Formatting ----

TEST(DigestTest, FormatsTheChallengeTheRegistrarSends) {
  Challenge challenge;
  challenge.realm = "switchboard";
  challenge.nonce = "0011";
  challenge.opaque = "op";
  challenge.algorithm = Algorithm::kSha256;
  challenge.qop = {"auth"};
  EXPECT_EQ(formatChallenge(challenge),
            R"(Digest realm="switchboard", nonce="0011", opaque="op", algorithm=SHA-256, )"
            R"(qop="auth")");
  challenge.stale = true;
  EXPECT_EQ(formatChallenge(challenge),
            R"(Digest realm="switchboard", nonce="0011", opaque="op", algorithm=SHA-256, )"
            R"(qop="auth", stale=true)");
}

TEST(DigestTest, FormattedChallengesOmitEmptyPartsAndParseBack) {
  Challenge challenge;
  challenge.realm = R"(a "quoted" \ realm)";
  challenge.nonce = "n";
  challenge.algorithm = Algorithm::kMd5;
  EXPECT_EQ(formatChallenge(challenge),
            R"(Digest realm="a \"quoted\" \\ realm", nonce="n", algorithm=MD5)");
  challenge.domain = "sip:a sip:b";
  challenge.qop = {"auth", "auth-int"};
  challenge.stale = true;
  challenge.algorithm = Algorithm::kSha256Sess;
  EXPECT_EQ(formatChallenge(challenge),
            R"(Digest realm="a \"quoted\" \\ realm", domain="sip:a sip:b", nonce="n", )"
            R"(algorithm=SHA-256-sess, qop="auth,auth-int", stale=true)");
  auto back = parseChallenge(formatChallenge(challenge));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, challenge);
}

TEST(DigestTest, FormatsCredentialsForOurOwnRegister) {
  Credentials credentials;
  credentials.username = "trunk\"1";
  credentials.realm = "carrier.example";
  credentials.nonce = "n0";
  credentials.uri = "sip:carrier.example";
  credentials.response = "abcd";
  credentials.algorithm = Algorithm::kSha256;
  credentials.cnonce = "c0";
  credentials.opaque = "op";
  credentials.qop = "auth";
  credentials.nc = "00000001";
  EXPECT_EQ(formatCredentials(credentials),
            R"(Digest username="trunk\"1", realm="carrier.example", nonce="n0", )"
            R"(uri="sip:carrier.example", response="abcd", algorithm=SHA-256, cnonce="c0", )"
            R"(opaque="op", qop=auth, nc=00000001)");
  auto back = parseCredentials(formatCredentials(credentials));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(*back, credentials);
  Credentials rfc2069 = credentials;
  rfc2069.cnonce.clear();
  rfc2069.opaque.clear();
  rfc2069.qop.clear();
  rfc2069.nc.clear();
  EXPECT_EQ(formatCredentials(rfc2069),
            R"(Digest username="trunk\"1", realm="carrier.example", nonce="n0", )"
            R"(uri="sip:carrier.example", response="abcd", algorithm=SHA-256)");
}

TEST(DigestTest, FormattingDropsControlCharactersSoNoHeaderIsInjected) {
  Challenge challenge;
  challenge.realm = "evil\r\nVia: x";
  challenge.nonce = "n\x01";
  EXPECT_EQ(formatChallenge(challenge), R"(Digest realm="evilVia: x", nonce="n", algorithm=MD5)");
}

// ---- The client side ----

TEST(DigestTest, AnswerToTheRfc7616ChallengesMatchesTheRfc) {
  for (auto [algorithm, expected] :
       {std::pair{"MD5", kRfcMd5Response}, std::pair{"SHA-256", kRfcSha256Response}}) {
    auto challenge = parseChallenge(
        std::string(R"(Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=)") +
        algorithm + R"(, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", )" +
        R"(opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS")");
    ASSERT_TRUE(challenge.ok()) << challenge.error().message;
    auto credentials = answerChallenge(*challenge, kRfcUser, kRfcPassword, "GET", "/dir/index.html",
                                       kRfcCnonce, 1);
    ASSERT_TRUE(credentials.ok()) << credentials.error().message;
    EXPECT_EQ(credentials->response, expected) << algorithm;
    EXPECT_EQ(credentials->qop, "auth");
    EXPECT_EQ(credentials->nc, "00000001");
    EXPECT_EQ(credentials->opaque, kRfcOpaque);
    EXPECT_EQ(credentials->uri, "/dir/index.html");
  }
}

TEST(DigestTest, AnsweredChallengeVerifiesAtTheRegistrar) {
  ManualClock clock(1'800'000'000);
  NonceService nonces(clock);
  for (Algorithm algorithm :
       {Algorithm::kSha256, Algorithm::kMd5, Algorithm::kSha256Sess, Algorithm::kMd5Sess}) {
    ServerPolicy server;
    server.algorithms = {algorithm};
    Challenge sent;
    sent.realm = server.realm;
    sent.nonce = nonces.issue("192.0.2.7");
    sent.algorithm = algorithm;
    sent.qop = {"auth"};
    // Through the wire format both ways, as between two processes.
    auto received = parseChallenge(formatChallenge(sent));
    ASSERT_TRUE(received.ok());
    auto answer =
        answerChallenge(*received, "1001", "demo", "REGISTER", "sip:switchboard", newCnonce(), 3);
    ASSERT_TRUE(answer.ok()) << answer.error().message;
    auto credentials = parseCredentials(formatCredentials(*answer));
    ASSERT_TRUE(credentials.ok()) << credentials.error().message;
    EXPECT_EQ(nonces.check(credentials->nonce, "192.0.2.7"), NonceStatus::kValid);
    EXPECT_TRUE(verify(*credentials, server, Secret::password("demo"), "REGISTER"))
        << algorithmName(algorithm);
    EXPECT_FALSE(verify(*credentials, server, Secret::password("Demo"), "REGISTER"))
        << algorithmName(algorithm);
    EXPECT_TRUE(verify(*credentials, server,
                       Secret::ha1(ha1(algorithm, "1001", server.realm, "demo")), "REGISTER"))
        << algorithmName(algorithm);
    EXPECT_EQ(parseNonceCount(credentials->nc), 3U);
  }
}

TEST(DigestTest, AnswerPrefersAuthThenAuthIntThenNoQop) {
  Challenge challenge;
  challenge.realm = "r";
  challenge.nonce = "n";
  challenge.qop = {"auth-int", "AUTH"};
  EXPECT_EQ(answerChallenge(challenge, "u", "p", "REGISTER", "sip:r", "c", 1)->qop, "auth");

  challenge.qop = {"x-future", "auth-int"};
  auto authInt = answerChallenge(challenge, "u", "p", "REGISTER", "sip:r", "c", 1, "body");
  ASSERT_TRUE(authInt.ok());
  EXPECT_EQ(authInt->qop, "auth-int");
  std::string ha2 = md5("REGISTER:sip:r:" + md5("body"));
  EXPECT_EQ(authInt->response, md5(md5("u:r:p") + ":n:00000001:c:auth-int:" + ha2));

  challenge.qop.clear();
  auto rfc2069 = answerChallenge(challenge, "u", "p", "REGISTER", "sip:r", "c", 1);
  ASSERT_TRUE(rfc2069.ok());
  EXPECT_EQ(rfc2069->qop, "");
  EXPECT_EQ(rfc2069->nc, "");
  EXPECT_EQ(rfc2069->cnonce, "");
  EXPECT_EQ(rfc2069->response, md5(md5("u:r:p") + ":n:" + md5("REGISTER:sip:r")));
  EXPECT_EQ(formatCredentials(*rfc2069),
            R"(Digest username="u", realm="r", nonce="n", uri="sip:r", response=")" +
                rfc2069->response + R"(", algorithm=MD5)");
}

TEST(DigestTest, AnswerRefusesWhatItCannotDo) {
  Challenge challenge;
  challenge.realm = "r";
  challenge.nonce = "n";
  challenge.qop = {"x-future"};
  EXPECT_EQ(answerChallenge(challenge, "u", "p", "REGISTER", "sip:r", "c", 1).error().field, "qop");
  challenge.qop = {"auth"};
  EXPECT_EQ(answerChallenge(challenge, "u", "p", "REGISTER", "sip:r", "c", 0).error().field, "nc");
  EXPECT_EQ(answerChallenge(challenge, "u", "p", "REGISTER", "sip:r", "", 1).error().field,
            "cnonce");
  EXPECT_EQ(answerChallenge(challenge, "u", "p", "REGISTER", "sip:r", "c", 0xffffffff)->nc,
            "ffffffff");
}

TEST(DigestTest, NewCnoncesAreRandomHex) {
  std::set<std::string> seen;
  for (int i = 0; i < 50; ++i) {
    std::string cnonce = newCnonce();
    EXPECT_EQ(cnonce.size(), 32U);
    EXPECT_EQ(cnonce.find_first_not_of("0123456789abcdef"), std::string::npos);
    seen.insert(cnonce);
  }
  EXPECT_EQ(seen.size(), 50U);
}

// ---- Verification ----

Credentials rfcCredentials(Algorithm algorithm) {
  Credentials credentials;
  credentials.username = kRfcUser;
  credentials.realm = kRfcRealm;
  credentials.nonce = kRfcNonce;
  credentials.uri = "/dir/index.html";
  credentials.algorithm = algorithm;
  credentials.cnonce = kRfcCnonce;
  credentials.qop = "auth";
  credentials.nc = "00000001";
  credentials.response = algorithm == Algorithm::kMd5 ? kRfcMd5Response : kRfcSha256Response;
  return credentials;
}

ServerPolicy rfcPolicy() {
  ServerPolicy server;
  server.realm = kRfcRealm;
  return server;
}

TEST(DigestTest, VerifyAcceptsTheRightPasswordOnly) {
  for (Algorithm algorithm : {Algorithm::kMd5, Algorithm::kSha256}) {
    Credentials credentials = rfcCredentials(algorithm);
    EXPECT_TRUE(verify(credentials, rfcPolicy(), Secret::password(kRfcPassword), "GET"));
    EXPECT_FALSE(verify(credentials, rfcPolicy(), Secret::password("Circle Of Life"), "GET"));
    EXPECT_FALSE(verify(credentials, rfcPolicy(), Secret::password(""), "GET"));
  }
}

TEST(DigestTest, VerifyChecksTheMethodAndEveryHashedField) {
  Credentials good = rfcCredentials(Algorithm::kSha256);
  EXPECT_FALSE(verify(good, rfcPolicy(), Secret::password(kRfcPassword), "POST"));
  std::vector<Credentials> changed(6, good);
  changed[0].username = "mufasa";
  changed[1].nonce += "x";
  changed[2].uri = "/dir/index.htm";
  changed[3].cnonce += "x";
  changed[4].nc = "00000002";
  changed[5].response[10] = changed[5].response[10] == '0' ? '1' : '0';
  for (const Credentials& credentials : changed) {
    EXPECT_FALSE(verify(credentials, rfcPolicy(), Secret::password(kRfcPassword), "GET"))
        << formatCredentials(credentials);
  }
}

TEST(DigestTest, VerifyRefusesAnotherRealm) {
  ServerPolicy server = rfcPolicy();
  server.realm = "switchboard";
  EXPECT_FALSE(
      verify(rfcCredentials(Algorithm::kMd5), server, Secret::password(kRfcPassword), "GET"));
}

TEST(DigestTest, VerifyRefusesAnAlgorithmThatWasNotChallenged) {
  ServerPolicy sha256Only = rfcPolicy();
  sha256Only.algorithms = {Algorithm::kSha256};
  EXPECT_FALSE(
      verify(rfcCredentials(Algorithm::kMd5), sha256Only, Secret::password(kRfcPassword), "GET"));
  EXPECT_TRUE(verify(rfcCredentials(Algorithm::kSha256), sha256Only, Secret::password(kRfcPassword),
                     "GET"));
}

TEST(DigestTest, VerifyRefusesMissingQopUnlessAllowedAndAuthIntAlways) {
  DigestInput input = rfc7616Input();
  input.qop = "";
  input.nc = "";
  input.cnonce = "";
  Credentials noQop = rfcCredentials(Algorithm::kMd5);
  noQop.qop.clear();
  noQop.nc.clear();
  noQop.cnonce.clear();
  noQop.response = computeResponse(Algorithm::kMd5, input);
  EXPECT_FALSE(verify(noQop, rfcPolicy(), Secret::password(kRfcPassword), "GET"));
  ServerPolicy legacy = rfcPolicy();
  legacy.allowNoQop = true;
  EXPECT_TRUE(verify(noQop, legacy, Secret::password(kRfcPassword), "GET"));

  input = rfc7616Input();
  input.qop = "auth-int";
  Credentials authInt = rfcCredentials(Algorithm::kMd5);
  authInt.qop = "auth-int";
  authInt.response = computeResponse(Algorithm::kMd5, input);
  EXPECT_FALSE(verify(authInt, legacy, Secret::password(kRfcPassword), "GET"));
}

TEST(DigestTest, VerifyAcceptsUpperCaseHexAndRefusesTruncatedResponses) {
  Credentials credentials = rfcCredentials(Algorithm::kMd5);
  credentials.response = "8CA523F5E9506FED4657C9700EEBDBEC";
  EXPECT_TRUE(verify(credentials, rfcPolicy(), Secret::password(kRfcPassword), "GET"));
  credentials.response = std::string(kRfcMd5Response.substr(0, 31));
  EXPECT_FALSE(verify(credentials, rfcPolicy(), Secret::password(kRfcPassword), "GET"));
  credentials.response = std::string(kRfcMd5Response) + "0";
  EXPECT_FALSE(verify(credentials, rfcPolicy(), Secret::password(kRfcPassword), "GET"));
  credentials.response.clear();
  EXPECT_FALSE(verify(credentials, rfcPolicy(), Secret::password(kRfcPassword), "GET"));
}

TEST(DigestTest, VerifyWorksFromAStoredHa1OfTheRightAlgorithm) {
  Credentials credentials = rfcCredentials(Algorithm::kSha256);
  std::string stored = ha1(Algorithm::kSha256, kRfcUser, kRfcRealm, kRfcPassword);
  EXPECT_TRUE(verify(credentials, rfcPolicy(), Secret::ha1(stored), "GET"));
  // An MD5 HA1 cannot answer for SHA-256, and malformed HA1s never match.
  EXPECT_FALSE(verify(credentials, rfcPolicy(),
                      Secret::ha1(ha1(Algorithm::kMd5, kRfcUser, kRfcRealm, kRfcPassword)), "GET"));
  EXPECT_FALSE(verify(credentials, rfcPolicy(), Secret::ha1(""), "GET"));
  stored[0] = 'g';
  EXPECT_FALSE(verify(credentials, rfcPolicy(), Secret::ha1(stored), "GET"));
}

// ---- Nonces ----

TEST(DigestTest, NoncesAreSixtyFourLowerCaseHexDigits) {
  ManualClock clock(1'800'000'000);
  NonceService nonces(clock, 300s, "secret");
  std::string nonce = nonces.issue();
  EXPECT_EQ(nonce.size(), 64U);
  EXPECT_EQ(nonce.find_first_not_of("0123456789abcdef"), std::string::npos);
  // The issue time leads, big-endian: 1'800'000'000 is 0x6b49d200.
  EXPECT_EQ(nonce.substr(0, 16), "000000006b49d200");
}

TEST(DigestTest, FreshNonceIsValidUntilItsLifetimeThenStale) {
  ManualClock clock(1'800'000'000);
  NonceService nonces(clock, 300s, "secret");
  EXPECT_EQ(nonces.lifetime(), 300s);
  std::string nonce = nonces.issue();
  EXPECT_EQ(nonces.check(nonce), NonceStatus::kValid);
  clock.advance(300s);
  EXPECT_EQ(nonces.check(nonce), NonceStatus::kValid);
  clock.advance(1s);
  EXPECT_EQ(nonces.check(nonce), NonceStatus::kStale);
  clock.advance(std::chrono::hours(24 * 365));
  EXPECT_EQ(nonces.check(nonce), NonceStatus::kStale);
  EXPECT_EQ(nonces.check(nonces.issue()), NonceStatus::kValid);
}

TEST(DigestTest, TamperedNonceIsInvalid) {
  ManualClock clock(1'800'000'000);
  NonceService nonces(clock, 300s, "secret");
  std::string nonce = nonces.issue();
  for (std::size_t i = 0; i < nonce.size(); ++i) {
    std::string tampered = nonce;
    tampered[i] = tampered[i] == 'a' ? 'b' : 'a';
    EXPECT_EQ(nonces.check(tampered), NonceStatus::kInvalid) << i;
  }
  // Moving the time forward to dodge staleness breaks the MAC too.
  clock.advance(400s);
  std::string renewed = nonce;
  renewed.replace(8, 8, "6b49d390");
  EXPECT_EQ(nonces.check(nonce), NonceStatus::kStale);
  EXPECT_EQ(nonces.check(renewed), NonceStatus::kInvalid);
}

TEST(DigestTest, MalformedNoncesAreInvalid) {
  ManualClock clock(1'800'000'000);
  NonceService nonces(clock, 300s, "secret");
  std::string nonce = nonces.issue();
  std::string upper = nonce;
  for (char& c : upper) {
    c = static_cast<char>(c >= 'a' && c <= 'f' ? c - 'a' + 'A' : c);
  }
  for (const std::string& bad :
       {std::string(), nonce.substr(1), nonce + "0", std::string(64, 'z'), upper,
        std::string(64, '\0'), std::string("7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v")}) {
    EXPECT_EQ(nonces.check(bad), NonceStatus::kInvalid) << bad;
  }
  ASSERT_NE(upper, nonce);
}

TEST(DigestTest, NonceFromAnotherSecretIsInvalid) {
  ManualClock clock(1'800'000'000);
  NonceService ours(clock, 300s, "secret");
  NonceService theirs(clock, 300s, "other secret");
  EXPECT_EQ(ours.check(theirs.issue()), NonceStatus::kInvalid);
  // Random secrets (the default) differ between instances, e.g. across restarts.
  NonceService first(clock);
  NonceService second(clock);
  EXPECT_EQ(first.check(first.issue()), NonceStatus::kValid);
  EXPECT_EQ(first.check(second.issue()), NonceStatus::kInvalid);
  EXPECT_EQ(first.lifetime(), NonceService::kDefaultLifetime);
}

TEST(DigestTest, NonceBoundToAClientIsInvalidForAnother) {
  ManualClock clock(1'800'000'000);
  NonceService nonces(clock, 300s, "secret");
  std::string nonce = nonces.issue("192.0.2.7");
  EXPECT_EQ(nonces.check(nonce, "192.0.2.7"), NonceStatus::kValid);
  EXPECT_EQ(nonces.check(nonce, "192.0.2.8"), NonceStatus::kInvalid);
  EXPECT_EQ(nonces.check(nonce), NonceStatus::kInvalid);
  EXPECT_EQ(nonces.check(nonces.issue(), "192.0.2.7"), NonceStatus::kInvalid);
}

TEST(DigestTest, NoncesIssuedInTheSameSecondDiffer) {
  ManualClock clock(1'800'000'000);
  NonceService nonces(clock, 300s, "secret");
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    seen.insert(nonces.issue("192.0.2.7"));
  }
  EXPECT_EQ(seen.size(), 100U);
}

TEST(DigestTest, NonceFromTheFutureIsStale) {
  ManualClock clock(1'800'000'000);
  NonceService nonces(clock, 300s, "secret");
  std::string nonce = nonces.issue();
  // The wall clock was set back an hour after the nonce was issued.
  ManualClock setBack(1'800'000'000 - 3600);
  NonceService afterReset(setBack, 300s, "secret");
  EXPECT_EQ(afterReset.check(nonce), NonceStatus::kStale);
}

// ---- Nonce counts ----

TEST(DigestTest, NonceCountsMustIncrease) {
  NonceCounts counts;
  EXPECT_TRUE(counts.accept("n1", 1));
  EXPECT_FALSE(counts.accept("n1", 1));  // replay
  EXPECT_TRUE(counts.accept("n1", 2));
  EXPECT_TRUE(counts.accept("n1", 5));  // skipping counts is fine
  EXPECT_FALSE(counts.accept("n1", 4));
  EXPECT_TRUE(counts.accept("n2", 1));  // another nonce counts on its own
  EXPECT_FALSE(counts.accept("n3", 0));
  EXPECT_EQ(counts.size(), 2U);
}

TEST(DigestTest, LeastRecentlyUsedNonceIsForgottenFirst) {
  NonceCounts counts(2);
  EXPECT_TRUE(counts.accept("old", 1));
  EXPECT_TRUE(counts.accept("kept", 1));
  EXPECT_TRUE(counts.accept("old", 2));  // "old" is now the most recently used
  EXPECT_TRUE(counts.accept("new", 1));  // evicts "kept"
  EXPECT_EQ(counts.size(), 2U);
  EXPECT_FALSE(counts.accept("old", 2));
  EXPECT_FALSE(counts.accept("new", 1));
  EXPECT_TRUE(counts.accept("kept", 1));  // forgotten, so accepted again
  EXPECT_EQ(counts.size(), 2U);
}

TEST(DigestTest, ParsesNonceCounts) {
  EXPECT_EQ(parseNonceCount("00000001"), 1U);
  EXPECT_EQ(parseNonceCount("0000001A"), 26U);
  EXPECT_EQ(parseNonceCount("ffffffff"), 0xffffffffU);
  EXPECT_EQ(parseNonceCount("1"), std::nullopt);
  EXPECT_EQ(parseNonceCount("0000000x"), std::nullopt);
  EXPECT_EQ(parseNonceCount(""), std::nullopt);
}

}  // namespace
}  // namespace sb::sip::digest
