#include "keyward/base/Digest.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <stdexcept>

namespace keyward {
namespace {

// One per thread: EVP_MD_CTX is not shareable, and re-fetching the algorithm on every call
// (what SHA256() does on OpenSSL 3) doubles the cost of a hash.
class Sha256Context {
 public:
  Sha256Context() : md_(EVP_MD_fetch(nullptr, "SHA256", nullptr)), ctx_(EVP_MD_CTX_new()) {
    if (!md_ || !ctx_) throw std::runtime_error("OpenSSL: SHA-256 is not available");
  }
  ~Sha256Context() {
    EVP_MD_CTX_free(ctx_);
    EVP_MD_free(md_);
  }
  Sha256Context(const Sha256Context&) = delete;
  Sha256Context& operator=(const Sha256Context&) = delete;

  Digest digest(std::string_view text) {
    Digest out;
    unsigned int len = 0;
    if (EVP_DigestInit_ex(ctx_, md_, nullptr) != 1 || EVP_DigestUpdate(ctx_, text.data(), text.size()) != 1 ||
        EVP_DigestFinal_ex(ctx_, out.bytes.data(), &len) != 1 || len != Digest::kSize) {
      throw std::runtime_error("OpenSSL: SHA-256 failed");
    }
    return out;
  }

 private:
  EVP_MD* md_;
  EVP_MD_CTX* ctx_;
};

constexpr char kHexDigits[] = "0123456789abcdef";

int hexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string hexOf(const unsigned char* data, std::size_t n) {
  std::string out(n * 2, '\0');
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = kHexDigits[data[i] >> 4];
    out[2 * i + 1] = kHexDigits[data[i] & 0xf];
  }
  return out;
}

}  // namespace

bool equalsConstantTime(const Digest& a, const Digest& b) {
  return CRYPTO_memcmp(a.bytes.data(), b.bytes.data(), Digest::kSize) == 0;
}

Digest sha256(std::string_view text) {
  thread_local Sha256Context context;
  return context.digest(text);
}

std::string toHex(const Digest& digest) { return hexOf(digest.bytes.data(), Digest::kSize); }

std::optional<Digest> digestFromHex(std::string_view hex) {
  if (hex.size() != Digest::kSize * 2) return std::nullopt;
  Digest out;
  for (std::size_t i = 0; i < Digest::kSize; ++i) {
    int hi = hexValue(hex[2 * i]);
    int lo = hexValue(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.bytes[i] = static_cast<unsigned char>(hi << 4 | lo);
  }
  return out;
}

std::string fingerprint(const Digest& digest) { return hexOf(digest.bytes.data(), 8); }

}  // namespace keyward
