// The YAML config loader on arbitrary text: a result is either a config or errors, never
// both and never neither, and nothing throws out of it.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "keyward/config/ConfigLoader.h"

using namespace keyward;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size > 8192) return 0;
  const std::string text(reinterpret_cast<const char*>(data), size);
  ConfigResult result = parseConfigText(text, "fuzz.yaml");
  if (result.config.has_value() == !result.errors.empty()) std::abort();
  return 0;
}
