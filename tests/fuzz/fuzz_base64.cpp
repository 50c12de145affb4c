// Strict base64 and key text validation on arbitrary text: decoding agrees with
// re-encoding, and an accepted key is either base64 that decodes to 32..1024 bytes or a
// prefixed key whose checksum, recomputed here, matches its last six characters.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "keyward/base/Base64.h"
#include "keyward/keys/KeyText.h"
#include "keyward/keys/PrefixedKey.h"

using namespace keyward;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  Base64Decoded decoded = base64DecodeStrict(text);
  if (decoded.ok) {
    // Strict means canonical: encoding the bytes again gives the input back.
    const bool padded = !text.empty() && text.back() == '=';
    const bool url = text.find_first_of("-_") != std::string::npos;
    std::string again =
        base64Encode(decoded.bytes.data(), decoded.bytes.size(), url ? Base64Alphabet::Url : Base64Alphabet::Standard);
    if (!url && !padded && again != text && again.find('=') == std::string::npos) std::abort();
    if (url && again != text) std::abort();
    if (!url && padded && again != text) std::abort();
  }
  if (keyTextProblem(text).empty()) {
    if (prefixedShapeOf(text) == PrefixedShape::Valid) {
      const std::string_view key(text);
      const std::string_view check = key.substr(key.size() - kPrefixedCheckChars);
      if (prefixedChecksum(key.substr(0, key.size() - kPrefixedCheckChars)) != check) std::abort();
      if (!isValidKeyPrefix(prefixOfKey(key))) std::abort();
    } else if (!decoded.ok || decoded.bytes.size() < 32 || decoded.bytes.size() > 1024) {
      std::abort();
    }
  }
  return 0;
}
