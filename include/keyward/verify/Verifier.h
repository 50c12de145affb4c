#pragma once
// The verify decision: which key a request presents and whether it may be used now, for
// this peer and scope. Pure: no I/O; the clock is a parameter (tests inject it).

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "keyward/http/HttpRequest.h"
#include "keyward/keys/KeySet.h"
#include "keyward/verify/Verdict.h"

namespace keyward {

// What the caller demands of the key beyond being valid.
struct Requirement {
  std::string_view peer;        // from ?peer=; empty = any
  std::string_view scope;       // from ?scope=; empty = none
  std::string_view routeScope;  // from the route rule matching the original request
  // Routes are configured but the original request is not known: the key must hold every
  // scope a route could demand (else 403 ORIGINAL_UNKNOWN). Null when not needed.
  const std::vector<std::string>* everyRouteScope = nullptr;
};

struct Decision {
  Verdict verdict = Verdict::MissingKey;
  const KeyEntry* key = nullptr;  // the presented key if it is configured (allowed or not)

  bool allowed() const { return verdict == Verdict::Allowed; }
  int status() const { return statusOf(verdict); }
  std::string_view code() const { return verdict == Verdict::Allowed ? std::string_view() : codeOf(verdict); }
};

// The checks on a known key, in order: REVOKED, SUSPENDED (by config or reported leaked), NOT_YET_VALID, EXPIRED (401),
// then WRONG_PEER, INSUFFICIENT_SCOPE, ORIGINAL_UNKNOWN (403).
Decision decideForKey(const KeyEntry& key, const Requirement& need, std::int64_t nowMs);

// Adds MISSING_KEY, AMBIGUOUS_KEY, INVALID_KEY and REVOKED for a revoked digest no longer
// configured. `keys` may be null (no key set loaded): every request is then denied.
Decision verifyRequest(const HttpRequest& request, const KeySet* keys, const Requirement& need, std::int64_t nowMs);

}  // namespace keyward
