#pragma once
// Finds keys in text, for `keyward scan`: keys in the prefixed format (PrefixedKey.h),
// recognised by their checksum, and any configured key (of either format), recognised by
// hashing every token of plausible key shape and looking the digest up in a KeySet.
// Findings carry where (line) and a fingerprint, never the key. Stateless; thread-safe.

#include <cstddef>
#include <functional>
#include <string>
#include <string_view>

#include "keyward/keys/KeySet.h"

namespace keyward {

struct LeakFinding {
  std::size_t line = 0;     // 1-based
  std::string fingerprint;  // of the key found
  std::string keyId;        // the configured key it is; empty if not configured
  std::string prefix;       // the NAME_ of a prefixed key; empty for a plain key
  bool revoked = false;     // the configured key is revoked (found, but not live)
};

// Scans `text`; `keys` may be null (only prefixed keys are then found). Each key is reported
// once per occurrence.
void scanText(std::string_view text, const KeySet* keys, const std::function<void(const LeakFinding&)>& found);

// True if `head` (a file's first bytes) looks binary: it holds a NUL byte.
bool looksBinary(std::string_view head);

}  // namespace keyward
