#pragma once
// New keys from OpenSSL's CSPRNG, encoded the way keyward reads them.

#include <cstddef>
#include <string>

#include "keyward/base/Base64.h"

namespace keyward {

// base64 of `bytes` random bytes (32..1024). Throws std::invalid_argument for a size out of
// range and std::runtime_error if the CSPRNG fails (never returns a weak key).
std::string generateKey(std::size_t bytes, Base64Alphabet alphabet);

}  // namespace keyward
