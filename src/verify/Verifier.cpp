#include "keyward/verify/Verifier.h"

#include <algorithm>

#include "keyward/http/Credential.h"
#include "keyward/keys/KeyText.h"
#include "keyward/keys/PrefixedKey.h"
#include "keyward/verify/Routes.h"

namespace keyward {

namespace {

bool meetsRoute(const KeyEntry& key, const RouteRule& rule, Verdict& failed) {
  if (!rule.peers.empty() && std::find(rule.peers.begin(), rule.peers.end(), key.peer) == rule.peers.end()) {
    failed = Verdict::WrongPeer;
    return false;
  }
  if (!rule.scope.empty() && !key.rules().hasScope(rule.scope)) {
    failed = Verdict::InsufficientScope;
    return false;
  }
  return true;
}

}  // namespace

Decision decideForKey(const KeyEntry& key, const Requirement& need, std::int64_t nowMs) {
  const KeyPolicy& policy = key.rules();
  auto is = [&](Verdict verdict) { return Decision{verdict, &key}; };
  if (key.revoked) return is(Verdict::Revoked);
  if (policy.status == KeyStatus::Suspended || key.isLeaked()) return is(Verdict::Suspended);
  if (nowMs < policy.notBeforeMs) return is(Verdict::NotYetValid);
  if (nowMs >= policy.expiresMs) return is(Verdict::Expired);
  if (!need.peer.empty() && need.peer != key.peer) return is(Verdict::WrongPeer);
  if (!need.scope.empty() && !policy.hasScope(need.scope)) return is(Verdict::InsufficientScope);
  Verdict failed = Verdict::Allowed;
  if (need.routes) {
    for (const RouteRule* rule : *need.routes) {
      if (!meetsRoute(key, *rule, failed)) return is(failed);
    }
  }
  if (need.everyRoute) {
    for (const RouteRule& rule : *need.everyRoute) {
      if (!meetsRoute(key, rule, failed)) return is(Verdict::OriginalUnknown);
    }
  }
  return is(Verdict::Allowed);
}

bool demandRoutes(const AccessRules& rules, bool known, std::string_view method, std::string_view path,
                  RouteScratch& scratch, Requirement& need) {
  if (rules.routes.empty()) return true;
  if (!known) {
    need.everyRoute = &rules.routes;
    return true;
  }
  std::optional<std::string> normalized = normalizePath(path);
  if (!normalized) return false;
  scratch.path = std::move(*normalized);
  routesFor(rules.routes, method, scratch.path, scratch.routes);
  need.routes = &scratch.routes;
  return true;
}

Decision verifyRequest(const HttpRequest& request, const KeySet* keys, const Requirement& need, std::int64_t nowMs) {
  Credential credential = extractCredential(request);
  switch (credential.status) {
    case CredentialStatus::Missing:
      return {Verdict::MissingKey};
    case CredentialStatus::Ambiguous:
      return {Verdict::AmbiguousKey};
    case CredentialStatus::Malformed:
      return {Verdict::InvalidKey};
    case CredentialStatus::Present:
      break;
  }
  if (!keys) return {Verdict::InvalidKey};
  // A key in the prefixed format whose checksum is wrong cannot be configured (it is refused
  // at load): refuse it before hashing. INVALID_KEY, like any unknown key, so that a typo
  // and a guess look alike and the answer tells nothing a CRC would not.
  if (prefixedShapeOf(credential.key) == PrefixedShape::BadChecksum) return {Verdict::InvalidKey};
  // Hash whatever was presented (bounded by the header limit): a wrong key costs the same
  // as a right one, and the digest lookup reveals nothing about stored keys.
  const Digest digest = sha256(credential.key);
  if (const KeyEntry* key = keys->find(digest)) return decideForKey(*key, need, nowMs);
  if (!keys->revoked().empty() && keys->findRevoked(digest)) return {Verdict::Revoked};
  return {Verdict::InvalidKey};
}

}  // namespace keyward
