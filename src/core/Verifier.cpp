#include "keyward/Verifier.h"

#include "keyward/Credential.h"
#include "keyward/KeyText.h"

namespace keyward {

Decision verifyRequest(const HttpRequest& request, const KeySet* keys) {
  Credential credential = extractCredential(request);
  switch (credential.status) {
    case CredentialStatus::Missing: return {false, 401, "MISSING_KEY", nullptr};
    case CredentialStatus::Ambiguous: return {false, 401, "AMBIGUOUS_KEY", nullptr};
    case CredentialStatus::Malformed: return {false, 401, "INVALID_KEY", nullptr};
    case CredentialStatus::Present: break;
  }
  // Hash whatever was presented (bounded by the header limit): a wrong key costs the same
  // as a right one, and the digest lookup reveals nothing about stored keys.
  const KeyEntry* key = keys ? keys->find(sha256(credential.key)) : nullptr;
  if (!key) return {false, 401, "INVALID_KEY", nullptr};
  return {true, 200, {}, key};
}

}  // namespace keyward
