#include "keyward/Verifier.h"

#include "keyward/Credential.h"
#include "keyward/KeyText.h"

namespace keyward {

Decision decideForKey(const KeyEntry& key, const Requirement& need, std::int64_t nowMs) {
  const KeyPolicy& policy = key.rules();
  auto deny = [&](int status, std::string_view code) { return Decision{false, status, code, &key}; };
  if (key.revoked) return deny(401, "REVOKED");
  if (policy.status == KeyStatus::Suspended) return deny(401, "SUSPENDED");
  if (nowMs < policy.notBeforeMs) return deny(401, "NOT_YET_VALID");
  if (nowMs >= policy.expiresMs) return deny(401, "EXPIRED");
  if (!need.peer.empty() && need.peer != key.peer) return deny(403, "WRONG_PEER");
  if (!need.scope.empty() && !policy.hasScope(need.scope)) return deny(403, "INSUFFICIENT_SCOPE");
  if (!need.routeScope.empty() && !policy.hasScope(need.routeScope)) return deny(403, "INSUFFICIENT_SCOPE");
  if (need.everyRouteScope) {
    for (const std::string& scope : *need.everyRouteScope) {
      if (!policy.hasScope(scope)) return deny(403, "ORIGINAL_UNKNOWN");
    }
  }
  return {true, 200, {}, &key};
}

Decision verifyRequest(const HttpRequest& request, const KeySet* keys, const Requirement& need, std::int64_t nowMs) {
  Credential credential = extractCredential(request);
  switch (credential.status) {
    case CredentialStatus::Missing: return {false, 401, "MISSING_KEY", nullptr};
    case CredentialStatus::Ambiguous: return {false, 401, "AMBIGUOUS_KEY", nullptr};
    case CredentialStatus::Malformed: return {false, 401, "INVALID_KEY", nullptr};
    case CredentialStatus::Present: break;
  }
  if (!keys) return {false, 401, "INVALID_KEY", nullptr};
  // Hash whatever was presented (bounded by the header limit): a wrong key costs the same
  // as a right one, and the digest lookup reveals nothing about stored keys.
  const Digest digest = sha256(credential.key);
  if (const KeyEntry* key = keys->find(digest)) return decideForKey(*key, need, nowMs);
  if (!keys->revoked().empty() && keys->findRevoked(digest)) return {false, 401, "REVOKED", nullptr};
  return {false, 401, "INVALID_KEY", nullptr};
}

}  // namespace keyward
