#pragma once
// Finds the API key in a request: `X-API-Key: <key>` or `Authorization: Bearer <key>`
// (scheme case-insensitive). Refuses ambiguity instead of guessing: a credential header
// sent twice (in any letter case), or two different keys in the two headers.

#include <string_view>

#include "keyward/http/HttpRequest.h"

namespace keyward {

enum class CredentialStatus {
  Missing,    // no X-API-Key and no Bearer authorization
  Present,    // `key` holds the presented text (not yet checked against any key)
  Ambiguous,  // a credential header repeated, or two different credentials
  Malformed,  // whitespace or control bytes inside the value, or an empty Bearer token
};

struct Credential {
  CredentialStatus status = CredentialStatus::Missing;
  std::string_view key;  // valid only with Present; points into the request
};

Credential extractCredential(const HttpRequest& request);

}  // namespace keyward
