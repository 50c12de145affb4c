#pragma once
// Why a key or a source was refused. Two renderings: text() for logs and --check-config,
// publicText() for the unauthenticated /v1/status, which must not show key ids. Neither
// ever contains key material: callers put only fixed reasons and names here.

#include <string>

namespace keyward {

struct Problem {
  std::string source;  // where: "env WORKER_API_KEY", "env file /etc/keyward/keys.env line 3"
  std::string keyId;   // the key concerned, if known
  std::string reason;  // "is too short (fewer than 32 bytes once decoded)"
  std::string detail;  // more for the log only, e.g. which other source clashes

  std::string text() const {
    std::string out = source;
    if (!keyId.empty()) out += ", key '" + keyId + "'";
    out += ": " + reason;
    if (!detail.empty()) out += " (" + detail + ")";
    return out;
  }
  std::string publicText() const { return source + ": " + reason; }
};

}  // namespace keyward
