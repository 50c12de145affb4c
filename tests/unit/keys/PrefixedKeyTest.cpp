#include <gtest/gtest.h>

#include <map>
#include <set>

#include "keyward/keys/KeyGenerator.h"
#include "keyward/keys/KeySet.h"
#include "keyward/keys/KeyText.h"
#include "keyward/keys/PrefixedKey.h"
#include "keyward/verify/Verifier.h"

namespace keyward {
namespace {

// A prefixed key with its checksum recomputed after `body` was put in.
std::string withChecksum(const std::string& nameAndBody) { return nameAndBody + prefixedChecksum(nameAndBody); }

TEST(PrefixedKey, Crc32IsZlibs) {
  // The check value of CRC-32/ISO-HDLC: scanners in other languages use zlib's crc32.
  EXPECT_EQ(crc32("123456789"), 0xCBF43926u);
  EXPECT_EQ(crc32(""), 0u);
  // 0xCBF43926 = 3421780262 in base62, 6 digits, most significant first.
  std::uint32_t v = 0xCBF43926u;
  std::string expected(6, '0');
  const std::string digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
  for (int i = 5; i >= 0; --i, v /= 62) expected[static_cast<std::size_t>(i)] = digits[v % 62];
  EXPECT_EQ(prefixedChecksum("123456789"), expected);
}

TEST(PrefixedKey, GeneratedKeysHaveTheDocumentedShape) {
  for (const char* prefix : {"ab", "acme_live", "k8s_prod_2026", "abcdefghijklmnopqrstuvwxyz012345"}) {
    const std::string key = generatePrefixedKey(prefix);
    EXPECT_EQ(key.size(), std::string(prefix).size() + 50) << prefix;
    EXPECT_EQ(key.substr(0, std::string(prefix).size() + 1), std::string(prefix) + "_");
    EXPECT_EQ(prefixedShapeOf(key), PrefixedShape::Valid) << prefix;
    EXPECT_EQ(prefixOfKey(key), prefix);
    EXPECT_EQ(keyTextProblem(key), "") << prefix;
  }
}

TEST(PrefixedKey, RefusesBadPrefixes) {
  for (const char* bad : {"", "a", "Acme", "acme-live", "acme_", "_acme", "9acme", "acme live", "acmé",
                          "abcdefghijklmnopqrstuvwxyz0123456"}) {
    EXPECT_FALSE(isValidKeyPrefix(bad)) << bad;
    EXPECT_THROW(generatePrefixedKey(bad), std::invalid_argument) << bad;
  }
}

TEST(PrefixedKey, EveryBodyCharacterIsUniformAndKeysNeverRepeat) {
  // 2,000 keys x 43 characters: each of the 62 characters is expected ~1,387 times; a
  // modulo bias (bytes mod 62 without rejection) would make '0'..'7' 25% more frequent.
  std::map<char, int> counts;
  std::set<std::string> seen;
  for (int i = 0; i < 2000; ++i) {
    const std::string key = generatePrefixedKey("ent");
    ASSERT_TRUE(seen.insert(key).second) << "a repeated key";
    for (char c : key.substr(4, kPrefixedBodyChars)) ++counts[c];
  }
  ASSERT_EQ(counts.size(), 62u) << "every base62 character appears";
  for (const auto& [c, n] : counts) {
    EXPECT_GT(n, 1387 * 0.8) << c;
    EXPECT_LT(n, 1387 * 1.2) << c;
  }
}

TEST(PrefixedKey, NearMissesAreToldApart) {
  const std::string key = generatePrefixedKey("acme_live");
  const std::string nameAndBody = key.substr(0, key.size() - kPrefixedCheckChars);
  struct Case {
    const char* why;
    std::string text;
    PrefixedShape shape;
  };
  std::string flipped = key;
  flipped[15] = flipped[15] == 'a' ? 'b' : 'a';
  std::string caseChanged = key;
  for (char& c : caseChanged) {
    if (c >= 'A' && c <= 'Z') {
      c = static_cast<char>(c + 32);
      break;
    }
  }
  std::string swapped = key;
  std::swap(swapped[20], swapped[21]);
  const std::vector<Case> cases = {
      {"the key", key, PrefixedShape::Valid},
      {"one body character changed", flipped, PrefixedShape::BadChecksum},
      {"one letter's case changed", caseChanged,
       caseChanged == key ? PrefixedShape::Valid : PrefixedShape::BadChecksum},
      {"another prefix, same body and checksum", "acme_test" + key.substr(9), PrefixedShape::BadChecksum},
      {"a checksum digit changed", key.substr(0, key.size() - 1) + (key.back() == '0' ? "1" : "0"),
       PrefixedShape::BadChecksum},
      {"last character cut off", key.substr(0, key.size() - 1), PrefixedShape::NotPrefixed},
      {"a character added (then read as base64: see the README)", key + "x", PrefixedShape::NotPrefixed},
      {"a '-' in the body", nameAndBody.substr(0, 20) + "-" + key.substr(21), PrefixedShape::NotPrefixed},
      {"upper-case prefix", withChecksum("ACME_LIVE" + nameAndBody.substr(9)), PrefixedShape::NotPrefixed},
      {"no separator", withChecksum("acmelive" + nameAndBody.substr(10)), PrefixedShape::NotPrefixed},
      {"plain base64 of 32 bytes (keygen's default)",
       "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", PrefixedShape::NotPrefixed},
  };
  for (const Case& c : cases) EXPECT_EQ(prefixedShapeOf(c.text), c.shape) << c.why;
  if (swapped[20] != swapped[21]) {
    EXPECT_EQ(prefixedShapeOf(swapped), PrefixedShape::BadChecksum) << "transposition";
  }
}

TEST(PrefixedKey, KeyTextAcceptsBothFormatsAndNamesTheChecksumProblem) {
  const std::string good = generatePrefixedKey("acme_live");
  std::string typo = good;
  typo[12] = typo[12] == 'Q' ? 'R' : 'Q';
  EXPECT_EQ(keyTextProblem(good), "");
  EXPECT_EQ(keyTextProblem(generateKey(32, Base64Alphabet::Standard)), "");
  EXPECT_EQ(keyTextProblem(generateKey(32, Base64Alphabet::Url)), "");
  EXPECT_NE(keyTextProblem(typo).find("wrong checksum"), std::string_view::npos);
  EXPECT_EQ(keyTextProblem(typo).find(typo.substr(10, 8)), std::string_view::npos) << "never quotes the key";
  // A valid checksum over a body of one repeated character: not random.
  EXPECT_NE(keyTextProblem(withChecksum("acme_" + std::string(43, 'A'))).find("not random"), std::string_view::npos);
  // keygen never makes a base64url key that would be mistaken for a prefixed one (its
  // generator checks every key with keyTextProblem): 39-byte url keys are the likeliest.
  for (int i = 0; i < 3000; ++i) {
    const std::string k = generateKey(39, Base64Alphabet::Url);
    ASSERT_EQ(keyTextProblem(k), "");
  }
}

TEST(PrefixedKey, VerifyRefusesABadChecksumBeforeLookingItUp) {
  const std::string good = generatePrefixedKey("acme_live");
  const std::string plain = generateKey(32, Base64Alphabet::Standard);
  std::string typo = good;
  typo[12] = typo[12] == 'Q' ? 'R' : 'Q';
  // The set holds the typo's digest too (a loader would refuse it; built here by hand), so
  // only the format check, before the lookup, can refuse it.
  KeySetBuilder builder;
  builder.add({"prefixed", "worker", sha256(good)});
  builder.add({"plain", "worker", sha256(plain)});
  builder.add({"typo", "worker", sha256(typo)});
  auto built = std::move(builder).build([](std::size_t) { return std::string("t"); });
  ASSERT_TRUE(built.keys);
  auto verify = [&](const std::string& key) {
    HttpRequest request;
    request.headers[0] = {"X-API-Key", key};
    request.headerCount = 1;
    return verifyRequest(request, built.keys.get(), {}, 0);
  };
  EXPECT_EQ(verify(good).verdict, Verdict::Allowed);
  EXPECT_EQ(verify(good).key->id, "prefixed");
  EXPECT_EQ(verify(plain).verdict, Verdict::Allowed) << "base64 keys side by side";
  EXPECT_EQ(verify(typo).verdict, Verdict::InvalidKey);
  EXPECT_EQ(verify(typo).key, nullptr);
}

}  // namespace
}  // namespace keyward
