#include <gtest/gtest.h>

#include "keyward/http/Credential.h"
#include "keyward/http/HttpParser.h"

namespace keyward {
namespace {

struct CredentialCase {
  const char* why;
  std::string headers;
  CredentialStatus status;
  std::string key;
};

TEST(Credential, ExtractsOrRefuses) {
  const std::vector<CredentialCase> cases = {
      {"X-API-Key", "X-API-Key: k1\r\n", CredentialStatus::Present, "k1"},
      {"header name in any case", "x-api-KEY: k1\r\n", CredentialStatus::Present, "k1"},
      {"Bearer", "Authorization: Bearer k1\r\n", CredentialStatus::Present, "k1"},
      {"bearer scheme case-insensitive", "Authorization: bEaReR k1\r\n", CredentialStatus::Present, "k1"},
      {"several spaces after the scheme", "Authorization: Bearer    k1\r\n", CredentialStatus::Present, "k1"},
      {"both headers with the same key", "X-API-Key: k1\r\nAuthorization: Bearer k1\r\n", CredentialStatus::Present,
       "k1"},
      {"nothing", "Accept: */*\r\n", CredentialStatus::Missing, ""},
      {"empty X-API-Key", "X-API-Key:\r\n", CredentialStatus::Missing, ""},
      {"Basic is not a keyward credential", "Authorization: Basic dTpw\r\n", CredentialStatus::Missing, ""},
      {"Bearerx is not Bearer", "Authorization: Bearerk1\r\n", CredentialStatus::Missing, ""},
      {"two different keys", "X-API-Key: k1\r\nAuthorization: Bearer k2\r\n", CredentialStatus::Ambiguous, ""},
      {"X-API-Key twice, same value", "X-API-Key: k1\r\nX-API-Key: k1\r\n", CredentialStatus::Ambiguous, ""},
      {"X-API-Key twice, other case", "X-API-Key: k1\r\nx-api-key: k2\r\n", CredentialStatus::Ambiguous, ""},
      {"Authorization twice", "Authorization: Bearer k1\r\nAuthorization: Bearer k1\r\n", CredentialStatus::Ambiguous,
       ""},
      {"inner space", "X-API-Key: k1 k2\r\n", CredentialStatus::Malformed, ""},
      {"inner tab", "X-API-Key: k1\tk2\r\n", CredentialStatus::Malformed, ""},
      {"Bearer without a token", "Authorization: Bearer\r\n", CredentialStatus::Malformed, ""},
      {"Bearer token with a space", "Authorization: Bearer k1 k2\r\n", CredentialStatus::Malformed, ""},
  };
  HttpParser parser{HttpLimits{}};
  for (const CredentialCase& c : cases) {
    std::string text = "GET /v1/verify HTTP/1.1\r\nHost: x\r\n" + c.headers + "\r\n";
    HttpRequest request;
    std::size_t scanned = 0;
    ASSERT_EQ(parser.parse(text.data(), text.size(), scanned, request).status, ParseStatus::Complete) << c.why;
    Credential credential = extractCredential(request);
    EXPECT_EQ(credential.status, c.status) << c.why;
    EXPECT_EQ(credential.key, c.key) << c.why;
  }
}

}  // namespace
}  // namespace keyward
