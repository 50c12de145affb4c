// The functions every verify request runs, each on its own: parse the head, find the
// credential, hash it, look the digest up among 10,000 keys, and the whole decision.
#include <benchmark/benchmark.h>

#include <memory>
#include <string>

#include "keyward/base/Digest.h"
#include "keyward/http/Credential.h"
#include "keyward/http/HttpParser.h"
#include "keyward/keys/KeySet.h"
#include "keyward/verify/Verifier.h"

namespace keyward {
namespace {

constexpr int kKeyCount = 10000;

std::string keyText(int i) {
  // 44 characters, the length of `openssl rand -base64 32`.
  std::string text = "bench-key-" + std::to_string(i);
  text.resize(43, 'A');
  return text + "=";
}

std::shared_ptr<const KeySet> tenThousandKeys() {
  static const std::shared_ptr<const KeySet> keys = [] {
    KeySetBuilder builder;
    for (int i = 0; i < kKeyCount; ++i) {
      builder.add({"key-" + std::to_string(i), "worker", sha256(keyText(i))});
    }
    return std::move(builder).build([](std::size_t) { return std::string("bench"); }).keys;
  }();
  return keys;
}

std::string requestHead(const std::string& key) {
  return "GET /v1/verify HTTP/1.1\r\nHost: 127.0.0.1:8420\r\nUser-Agent: worker/1.0\r\n"
         "Accept: */*\r\nX-API-Key: " +
         key + "\r\n\r\n";
}

void BM_ParseRequestHead(benchmark::State& state) {
  const std::string head = requestHead(keyText(42));
  HttpParser parser{HttpLimits{}};
  HttpRequest request;
  for (auto _ : state) {
    std::size_t scanned = 0;
    ParseResult result = parser.parse(head.data(), head.size(), scanned, request);
    benchmark::DoNotOptimize(result);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * head.size()));
}
BENCHMARK(BM_ParseRequestHead);

void BM_ExtractCredential(benchmark::State& state) {
  const std::string head = requestHead(keyText(42));
  HttpParser parser{HttpLimits{}};
  HttpRequest request;
  std::size_t scanned = 0;
  if (parser.parse(head.data(), head.size(), scanned, request).status != ParseStatus::Complete) {
    state.SkipWithError("head did not parse");
    return;
  }
  for (auto _ : state) {
    Credential credential = extractCredential(request);
    benchmark::DoNotOptimize(credential);
  }
}
BENCHMARK(BM_ExtractCredential);

void BM_Sha256OfKey(benchmark::State& state) {
  const std::string key = keyText(42);
  for (auto _ : state) benchmark::DoNotOptimize(sha256(key));
}
BENCHMARK(BM_Sha256OfKey);

void BM_DigestLookup(benchmark::State& state) {
  auto keys = tenThousandKeys();
  const bool present = state.range(0) != 0;
  const Digest digest = sha256(present ? keyText(4242) : keyText(kKeyCount + 1));
  for (auto _ : state) benchmark::DoNotOptimize(keys->find(digest));
}
BENCHMARK(BM_DigestLookup)->Arg(1)->Arg(0)->ArgName("present");

void BM_VerifyDecision(benchmark::State& state) {
  auto keys = tenThousandKeys();
  const bool valid = state.range(0) != 0;
  const std::string head = requestHead(valid ? keyText(4242) : keyText(kKeyCount + 1));
  HttpParser parser{HttpLimits{}};
  HttpRequest request;
  for (auto _ : state) {
    std::size_t scanned = 0;
    parser.parse(head.data(), head.size(), scanned, request);
    Decision decision = verifyRequest(request, keys.get());
    benchmark::DoNotOptimize(decision);
  }
}
BENCHMARK(BM_VerifyDecision)->Arg(1)->Arg(0)->ArgName("valid");

}  // namespace
}  // namespace keyward
