// Credential extraction on parsed requests built from arbitrary bytes: a presented key never
// holds whitespace or control bytes, and a repeated credential header is never "Present".
#include <cstdint>
#include <cstdlib>
#include <string>

#include "keyward/http/Credential.h"
#include "keyward/http/HttpParser.h"

using namespace keyward;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // The fuzz input is the header block; the request line is fixed.
  std::string head = "GET /v1/verify HTTP/1.1\r\nHost: k\r\n";
  head.append(reinterpret_cast<const char*>(data), size);
  head += "\r\n\r\n";
  HttpParser parser{HttpLimits{}};
  static HttpRequest request;  // reused: 256 KiB with room for 8192 fields
  std::size_t scanned = 0;
  if (parser.parse(head.data(), head.size(), scanned, request).status != ParseStatus::Complete) return 0;
  Credential credential = extractCredential(request);
  int credentialHeaders = 0;
  for (std::size_t i = 0; i < request.headerCount; ++i) {
    if (equalsLower(request.headers[i].name, "x-api-key") || equalsLower(request.headers[i].name, "authorization")) {
      ++credentialHeaders;
    }
  }
  if (credential.status == CredentialStatus::Present) {
    if (credential.key.empty() || credentialHeaders == 0) std::abort();
    for (char c : credential.key) {
      if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) std::abort();
    }
  }
  if (credentialHeaders == 0 && credential.status != CredentialStatus::Missing) std::abort();
  return 0;
}
