#include <gtest/gtest.h>

#include "keyward/keys/KeyGenerator.h"
#include "keyward/keys/LeakScanner.h"
#include "keyward/keys/PrefixedKey.h"

namespace keyward {
namespace {

struct Found {
  std::size_t line;
  std::string fingerprint, keyId;
};

std::vector<Found> scan(const std::string& text, const KeySet* keys) {
  std::vector<Found> out;
  scanText(text, keys, [&](const LeakFinding& f) { out.push_back({f.line, f.fingerprint, f.keyId}); });
  return out;
}

TEST(LeakScanner, FindsPrefixedKeysInEveryCommonSettingAndNoDecoy) {
  const std::string key = generatePrefixedKey("acme_live");
  std::string typo = key;
  typo[14] = typo[14] == 'x' ? 'y' : 'x';
  const std::string fp = fingerprintOfKey(key);
  struct Case {
    const char* why;
    std::string text;
    std::size_t line;  // 0: nothing to find
  };
  const std::vector<Case> cases = {
      {"code", "const char* k = \"" + key + "\";\n", 1},
      {"yaml", "keys:\n  - id: w\n    value: " + key + "\n", 3},
      {".env, no quotes", "A=1\nWORKER_API_KEY=" + key + "\n", 2},
      {"env name run into the key", "X\n\nMY_KEY_" + key, 3},
      {"json", "{\"auth\": {\"key\": \"" + key + "\"}}", 1},
      {"header", "curl -H 'X-API-Key: " + key + "' http://x", 1},
      {"typo (wrong checksum): a decoy", "k=" + typo, 0},
      {"cut short", "k=" + key.substr(0, key.size() - 1), 0},
      {"longer run: not a key end", "k=" + key + "A", 0},
      {"upper-case prefix decoy", "k=ACME_LIVE" + key.substr(9), 0},
      {"plain base64, no config", "k=" + generateKey(32, Base64Alphabet::Standard), 0},
  };
  for (const Case& c : cases) {
    std::vector<Found> found = scan(c.text, nullptr);
    if (c.line == 0) {
      EXPECT_TRUE(found.empty()) << c.why;
    } else {
      ASSERT_EQ(found.size(), 1u) << c.why;
      EXPECT_EQ(found[0].line, c.line) << c.why;
      EXPECT_EQ(found[0].fingerprint, fp) << c.why;
      EXPECT_EQ(found[0].keyId, "") << c.why;
    }
  }
}

TEST(LeakScanner, FindsConfiguredKeysOfBothFormatsByDigest) {
  const std::string plain = generateKey(32, Base64Alphabet::Standard);
  const std::string url = generateKey(48, Base64Alphabet::Url);
  const std::string prefixed = generatePrefixedKey("acme");
  const std::string unknownPlain = generateKey(32, Base64Alphabet::Standard);
  KeySetBuilder builder;
  builder.add({"plain", "w", sha256(plain)});
  builder.add({"url", "w", sha256(url)});
  builder.add({"pre", "w", sha256(prefixed)});
  auto built = std::move(builder).build([](std::size_t) { return std::string("t"); });
  ASSERT_TRUE(built.keys);
  const std::string text = "# config\nWORKER=" + plain + "\nurl: \"" + url + "\"\n{\"k\":\"" + prefixed +
                           "\"}\nother=" + unknownPlain + "\n";
  std::vector<Found> found = scan(text, built.keys.get());
  ASSERT_EQ(found.size(), 3u);
  EXPECT_EQ(found[0].line, 2u);
  EXPECT_EQ(found[0].keyId, "plain");
  EXPECT_EQ(found[1].line, 3u);
  EXPECT_EQ(found[1].keyId, "url");
  EXPECT_EQ(found[2].line, 4u);
  EXPECT_EQ(found[2].keyId, "pre") << "a configured prefixed key is reported once, with its id";
  EXPECT_EQ(found[2].fingerprint, fingerprintOfKey(prefixed));
  // Without the config, the unknown base64 key and the configured ones are invisible,
  // but the prefixed one is still found.
  EXPECT_EQ(scan(text, nullptr).size(), 1u);
}

TEST(LeakScanner, BinaryMeansANulByte) {
  EXPECT_TRUE(looksBinary(std::string("ab\0cd", 5)));
  EXPECT_FALSE(looksBinary("plain text\n"));
}

}  // namespace
}  // namespace keyward
