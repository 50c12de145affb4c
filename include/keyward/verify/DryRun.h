#pragma once
// Replays the calls a running daemon recorded (admin API /v1/keys/{id}/calls) against a
// candidate key set, for `keyward reload --dry-run`: which decisions would flip if the
// candidate config were applied now. Pure; thread-safe.
//
// What a recorded call holds decides what can be replayed: the key (by fingerprint), the
// method and path asked about, the time and the answer. So the replay covers the key's
// presence, status, validity window, leak suspension and revocation, and route rules; it
// does not know ?peer=/?scope= demands, so calls refused WRONG_PEER, and calls refused for
// reasons of the moment (RATE_LIMITED, THROTTLED, BAD_REQUEST, AMBIGUOUS_*), are skipped.

#include <cstdint>
#include <string>
#include <vector>

#include "keyward/keys/KeySet.h"

namespace keyward {

struct RecordedCall {
  std::string keyId;
  std::string fingerprint;  // of the key that made the call (the daemon's current secret for keyId)
  bool revoked = false;     // the daemon refuses the key as revoked (one-way: stays so)
  bool leaked = false;      // suspended as leaked (stays so until cleared)
  std::int64_t timeMs = 0;
  std::string method, path;  // as recorded: the original request's, or /v1/verify...
  std::string code;          // "" when it was allowed
};

struct DecisionFlip {
  RecordedCall call;
  std::string before;  // "allow" or the code
  std::string after;   // "allow" or the code
};

// Every replayable call whose outcome differs under `candidate` at `nowMs`.
std::vector<DecisionFlip> replayCalls(const std::vector<RecordedCall>& calls, const KeySet& candidate,
                                      std::int64_t nowMs);

// The candidate's key with this fingerprint (the same secret, under any id), or nullptr.
const KeyEntry* findByFingerprint(const KeySet& keys, const std::string& fingerprint);

}  // namespace keyward
