#pragma once
// A revoked key, by digest: refused under any id and from any source, for good.

#include <cstdint>
#include <string>

#include "keyward/base/Digest.h"

namespace keyward {

struct RevokedKey {
  Digest digest;
  std::string id;
  std::string reason;
  std::int64_t revokedMs = 0;
};

}  // namespace keyward
