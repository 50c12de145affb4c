#pragma once
// JSON views of keys for the admin API (/v1/keys). They show what a key is and how it is
// used, never the key or its full digest (the 16-hex fingerprint only).

#include <cstdint>
#include <string>
#include <string_view>

#include "keyward/keys/KeySet.h"
#include "keyward/lifecycle/UsageStore.h"

namespace keyward {

// "active", "suspended", "revoked", "expired" or "pending" (not yet valid) at `nowMs`.
std::string_view effectiveStatus(const KeyEntry& key, std::int64_t nowMs);

// Appends the key's JSON object; `detailed` adds description, not_before, revoked_reason.
void appendKeyJson(std::string& out, const KeyEntry& key, const KeyUsage* usage, std::int64_t nowMs, bool detailed);

// Appends {"id":...,"calls":[...]} with the newest call first.
void appendCallsJson(std::string& out, std::string_view id, const KeyUsage* usage);

struct KeyPage {
  int status = 200;  // 400 for a bad parameter
  std::string body;
};
// GET /v1/keys?status=&peer=&limit=&cursor= : keys in id order after `cursor`.
KeyPage listKeys(const KeySet& keys, const UsageStore* usage, std::string_view query, std::int64_t nowMs);

}  // namespace keyward
