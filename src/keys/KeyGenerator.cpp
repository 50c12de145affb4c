#include "keyward/keys/KeyGenerator.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <stdexcept>
#include <vector>

#include "keyward/keys/KeyText.h"

namespace keyward {

std::string generateKey(std::size_t bytes, Base64Alphabet alphabet) {
  if (bytes < kMinKeyBytes || bytes > kMaxKeyBytes) {
    throw std::invalid_argument("key size must be between 32 and 1024 bytes");
  }
  std::vector<unsigned char> random(bytes);
  // A key keyward would refuse (all bytes equal) is a 2^-248 event, but check anyway.
  for (int attempt = 0; attempt < 3; ++attempt) {
    if (RAND_priv_bytes(random.data(), static_cast<int>(random.size())) != 1) {
      OPENSSL_cleanse(random.data(), random.size());
      throw std::runtime_error("OpenSSL's random generator failed");
    }
    std::string key = base64Encode(random.data(), random.size(), alphabet);
    OPENSSL_cleanse(random.data(), random.size());
    if (keyTextProblem(key).empty()) return key;
  }
  throw std::runtime_error("OpenSSL's random generator keeps returning unusable bytes");
}

}  // namespace keyward
