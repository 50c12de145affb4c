#pragma once
// The verify decision: which key, if any, a request presents. Pure: no I/O, no clocks.

#include <string_view>

#include "keyward/HttpRequest.h"
#include "keyward/KeySet.h"

namespace keyward {

struct Decision {
  bool allowed = false;
  int status = 401;
  std::string_view code;           // "MISSING_KEY", "INVALID_KEY", "AMBIGUOUS_KEY"; empty if allowed
  const KeyEntry* key = nullptr;   // the matched key when allowed
};

// `keys` may be null (no key set loaded): every request is then denied.
Decision verifyRequest(const HttpRequest& request, const KeySet* keys);

}  // namespace keyward
