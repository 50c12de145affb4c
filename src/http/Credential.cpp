#include "keyward/http/Credential.h"

namespace keyward {
namespace {

bool hasInnerWhitespaceOrControl(std::string_view value) {
  for (char c : value) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f) return true;
  }
  return false;
}

}  // namespace

Credential extractCredential(const HttpRequest& request) {
  std::string_view apiKey, bearer;
  int apiKeyCount = 0, authorizationCount = 0;
  bool bearerMalformed = false;
  for (std::size_t i = 0; i < request.headerCount; ++i) {
    const HeaderField& field = request.headers[i];
    if (field.name.size() == 9 && equalsLower(field.name, "x-api-key")) {
      ++apiKeyCount;
      apiKey = field.value;
    } else if (field.name.size() == 13 && equalsLower(field.name, "authorization")) {
      ++authorizationCount;
      std::string_view value = field.value;
      // credentials = auth-scheme [ 1*SP token68 ]; only the Bearer scheme carries a key.
      if (value.size() >= 6 && equalsLower(value.substr(0, 6), "bearer") && (value.size() == 6 || value[6] == ' ')) {
        std::string_view token = value.substr(6);
        while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
        if (token.empty()) bearerMalformed = true;
        bearer = token;
      }
    }
  }
  if (apiKeyCount > 1 || authorizationCount > 1) return {CredentialStatus::Ambiguous, {}};
  bool haveApiKey = !apiKey.empty();
  bool haveBearer = !bearer.empty() || bearerMalformed;
  if (!haveApiKey && !haveBearer) return {CredentialStatus::Missing, {}};
  if (haveApiKey && haveBearer && apiKey != bearer) return {CredentialStatus::Ambiguous, {}};
  if (bearerMalformed) return {CredentialStatus::Malformed, {}};
  std::string_view key = haveApiKey ? apiKey : bearer;
  if (hasInnerWhitespaceOrControl(key)) return {CredentialStatus::Malformed, {}};
  return {CredentialStatus::Present, key};
}

}  // namespace keyward
