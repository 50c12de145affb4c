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
  std::string_view peer;   // from ?peer=; empty = any
  std::string_view scope;  // from ?scope=; empty = none
  // The route rules the original request must meet (Routes.h routesFor): the key's peer must
  // be one a rule names (else 403 WRONG_PEER) and it must hold the rule's scope (else 403
  // INSUFFICIENT_SCOPE). Null = none.
  const std::vector<const RouteRule*>* routes = nullptr;
  // Routes are configured but the original request is not known: the key must meet every
  // rule, as any of them could apply (else 403 ORIGINAL_UNKNOWN). Null when not needed.
  const std::vector<RouteRule>* everyRoute = nullptr;
};

struct Decision {
  Verdict verdict = Verdict::MissingKey;
  const KeyEntry* key = nullptr;  // the presented key if it is configured (allowed or not)

  bool allowed() const { return verdict == Verdict::Allowed; }
  int status() const { return statusOf(verdict); }
  std::string_view code() const { return verdict == Verdict::Allowed ? std::string_view() : codeOf(verdict); }
};

// Scratch space for demandRoutes, reused across requests so that verify does not allocate.
struct RouteScratch {
  std::string path;                      // the normalised original path
  std::vector<const RouteRule*> routes;  // the rules it must meet
};

// Adds to `need` what the route rules in `rules` demand of the original request: nothing when
// there are no routes; every rule when the request is not known (`known` false: no trusted
// proxy said which request this is); else the rules routesFor gives for `method` and `path`
// (query removed). False when the path is refused (INVALID_PATH).
// `need` points into `scratch` and `rules` afterwards. The one place verify and the reload
// dry run turn routes into a requirement.
bool demandRoutes(const AccessRules& rules, bool known, std::string_view method, std::string_view path,
                  RouteScratch& scratch, Requirement& need);

// The checks on a known key, in order: REVOKED, SUSPENDED (by config or reported leaked), NOT_YET_VALID, EXPIRED (401),
// then WRONG_PEER, INSUFFICIENT_SCOPE, ORIGINAL_UNKNOWN (403).
Decision decideForKey(const KeyEntry& key, const Requirement& need, std::int64_t nowMs);

// Adds MISSING_KEY, AMBIGUOUS_KEY, INVALID_KEY and REVOKED for a revoked digest no longer
// configured. `keys` may be null (no key set loaded): every request is then denied.
Decision verifyRequest(const HttpRequest& request, const KeySet* keys, const Requirement& need, std::int64_t nowMs);

}  // namespace keyward
