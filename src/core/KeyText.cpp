#include "keyward/KeyText.h"

#include <openssl/crypto.h>

#include <algorithm>

#include "keyward/Base64.h"

namespace keyward {

std::string_view keyTextProblem(std::string_view text) {
  if (text.empty()) return "is empty";
  if (text.size() > kMaxKeyTextLength) return "is too long (more than 1024 bytes once decoded)";
  if (text.find('\n') != std::string_view::npos) {
    // The usual cause: `openssl rand -base64 N` wraps its output at 64 columns for N > 48.
    return "contains a line break (use `keygen`, or `openssl rand -base64 -A`, for one line)";
  }
  Base64Decoded decoded = base64DecodeStrict(text);
  if (!decoded.ok) return decoded.problem;

  std::string_view problem;
  const auto& bytes = decoded.bytes;
  if (bytes.size() < kMinKeyBytes) {
    problem = "is too short (fewer than 32 bytes once decoded)";
  } else if (bytes.size() > kMaxKeyBytes) {
    problem = "is too long (more than 1024 bytes once decoded)";
  } else if (std::all_of(bytes.begin(), bytes.end(), [&](unsigned char b) { return b == bytes[0]; })) {
    problem = "is not random (every decoded byte has the same value)";
  }
  OPENSSL_cleanse(decoded.bytes.data(), decoded.bytes.size());
  return problem;
}

std::string_view withoutTrailingNewline(std::string_view text) {
  if (text.size() >= 2 && text.substr(text.size() - 2) == "\r\n") return text.substr(0, text.size() - 2);
  if (!text.empty() && text.back() == '\n') return text.substr(0, text.size() - 1);
  return text;
}

}  // namespace keyward
