#include "keyward/keys/LeakScanner.h"

#include <openssl/crypto.h>

#include <algorithm>
#include <vector>

#include "keyward/base/Digest.h"
#include "keyward/keys/KeyText.h"
#include "keyward/keys/PrefixedKey.h"

namespace keyward {
namespace {

bool isKeyChar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '+' || c == '/' ||
         c == '=' || c == '-' || c == '_';
}

std::size_t lineOf(std::string_view text, std::size_t offset, std::size_t& cachedOffset, std::size_t& cachedLine) {
  // Offsets arrive in increasing order: count only the newlines since the last one.
  if (offset < cachedOffset) {
    cachedOffset = 0;
    cachedLine = 1;
  }
  cachedLine += static_cast<std::size_t>(std::count(text.begin() + static_cast<std::ptrdiff_t>(cachedOffset),
                                                    text.begin() + static_cast<std::ptrdiff_t>(offset), '\n'));
  cachedOffset = offset;
  return cachedLine;
}

}  // namespace

bool looksBinary(std::string_view head) { return head.find('\0') != std::string_view::npos; }

void scanText(std::string_view text, const KeySet* keys, const std::function<void(const LeakFinding&)>& found) {
  std::size_t cachedOffset = 0, cachedLine = 1;
  // Each finding once: a prefixed key that is also configured is reported with its id.
  std::vector<std::pair<std::size_t, std::size_t>> prefixed;
  findPrefixedKeys(text, [&](std::size_t offset, std::size_t length) { prefixed.emplace_back(offset, length); });
  std::vector<std::pair<std::size_t, LeakFinding>> findings;
  for (const auto& [offset, length] : prefixed) {
    const std::string_view key = text.substr(offset, length);
    LeakFinding f;
    f.line = lineOf(text, offset, cachedOffset, cachedLine);
    const Digest digest = sha256(key);
    f.fingerprint = fingerprint(digest);
    f.prefix = std::string(prefixOfKey(key));
    if (keys) {
      if (const KeyEntry* entry = keys->find(digest)) {
        f.keyId = entry->id;
        f.revoked = entry->revoked;
      }
    }
    findings.emplace_back(offset, std::move(f));
  }
  if (keys && keys->size() > 0) {
    // Configured keys by digest: every run of base64 characters of key length, and the part
    // after each '=' in it (NAME=VALUE lines run together with their value).
    cachedOffset = 0;
    cachedLine = 1;
    std::size_t i = 0;
    auto tryCandidate = [&](std::size_t offset, std::string_view candidate) {
      while (!candidate.empty() && candidate.front() == '=') {
        candidate.remove_prefix(1);
        ++offset;
      }
      if (candidate.size() < kMinKeyTextLength || candidate.size() > kMaxKeyTextLength) return;
      const Digest digest = sha256(candidate);
      const KeyEntry* entry = keys->find(digest);
      if (!entry) return;
      for (const auto& [at, f] : findings) {
        if (at == offset) return;  // already found as a prefixed key
      }
      LeakFinding f;
      f.line = lineOf(text, offset, cachedOffset, cachedLine);
      f.fingerprint = fingerprint(digest);
      f.keyId = entry->id;
      f.revoked = entry->revoked;
      f.prefix = std::string(prefixOfKey(candidate));
      findings.emplace_back(offset, std::move(f));
    };
    while (i < text.size()) {
      if (!isKeyChar(text[i])) {
        ++i;
        continue;
      }
      std::size_t end = i;
      while (end < text.size() && isKeyChar(text[end])) ++end;
      const std::string_view run = text.substr(i, end - i);
      if (run.size() >= kMinKeyTextLength) {
        tryCandidate(i, run);
        for (std::size_t eq = run.find('='); eq != std::string_view::npos; eq = run.find('=', eq + 1)) {
          if (eq + 1 < run.size() && run[eq + 1] != '=') tryCandidate(i + eq + 1, run.substr(eq + 1));
        }
      }
      i = end;
    }
  }
  std::sort(findings.begin(), findings.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [offset, f] : findings) found(f);
}

}  // namespace keyward
