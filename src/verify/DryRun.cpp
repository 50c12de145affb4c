#include "keyward/verify/DryRun.h"

#include "keyward/verify/Verifier.h"

namespace keyward {

const KeyEntry* findByFingerprint(const KeySet& keys, const std::string& fp) {
  for (const KeyEntry& entry : keys.entries()) {
    if (fingerprint(entry.digest) == fp) return &entry;
  }
  return nullptr;
}

std::vector<DecisionFlip> replayCalls(const std::vector<RecordedCall>& calls, const KeySet& candidate,
                                      std::int64_t nowMs) {
  std::vector<DecisionFlip> flips;
  RouteScratch scratch;
  for (const RecordedCall& call : calls) {
    const std::string& was = call.code;
    if (was == "WRONG_PEER" || was == "RATE_LIMITED" || was == "THROTTLED" || was == "BAD_REQUEST" ||
        was == "AMBIGUOUS_ORIGINAL" || was == "AMBIGUOUS_KEY") {
      continue;  // depends on the request's demands or the moment, not on the config
    }
    std::string now;
    const KeyEntry* entry = findByFingerprint(candidate, call.fingerprint);
    if (!entry) {
      now = "INVALID_KEY";  // the secret is no longer configured
    } else if (call.revoked) {
      now = "REVOKED";
    } else if (call.leaked) {
      now = "SUSPENDED";  // the suspension travels with the digest until it is cleared
    } else {
      Requirement need;
      std::string_view path = call.path;
      bool known = true;
      if (path == "/v1/verify") {
        known = false;  // a direct call: the original request is not known
      } else if (path.rfind("/v1/verify/", 0) == 0) {
        path.remove_prefix(std::string_view("/v1/verify").size());  // Envoy's path_prefix
      }
      if (!demandRoutes(candidate.rules(), known, call.method, path, scratch, need)) now = "INVALID_PATH";
      if (now.empty()) {
        Decision decision = decideForKey(*entry, need, nowMs);
        now = decision.allowed() ? "" : std::string(decision.code());
      }
    }
    if (now != was) flips.push_back({call, was.empty() ? "allow" : was, now.empty() ? "allow" : now});
  }
  return flips;
}

}  // namespace keyward
