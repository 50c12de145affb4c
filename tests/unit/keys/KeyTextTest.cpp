#include <gtest/gtest.h>

#include "keyward/base/Base64.h"
#include "keyward/keys/KeyGenerator.h"
#include "keyward/keys/KeyText.h"

namespace keyward {
namespace {

struct KeyCase {
  const char* why;
  std::string text;
  bool accepted;
};

// Bytes 0..31, standard alphabet with padding.
const std::string kStd32 = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
// Bytes 200..231, URL alphabet ('-' and '_' present) without padding.
const std::string kUrl32 = "yMnKy8zNzs_Q0dLT1NXW19jZ2tvc3d7f4OHi4-Tl5uc";
// Bytes 251,251,251,0..28: '+' and '/' present.
const std::string kStdSymbols = "+/v7AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxw=";

TEST(KeyText, AcceptsAndRefusesTheDocumentedForms) {
  const std::vector<KeyCase> cases = {
      {"32 bytes, standard, padded (openssl rand -base64 32)", kStd32, true},
      {"32 bytes, base64url unpadded", kUrl32, true},
      {"standard alphabet symbols", kStdSymbols, true},
      {"34 bytes, '==' padding", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gIQ==", true},
      {"no symbols, length multiple of 4, no padding needed (48 bytes)",
       "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gISIjJCUmJygpKissLS4v", true},
      {"31 bytes is too short", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==", false},
      {"empty", "", false},
      {"all bytes equal", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=", false},
      {"inner space", "AAECAwQFBgcICQoLDA0O DxAREhMUFRYXGBkaGxwdHh8=", false},
      {"leading space", " " + kStd32, false},
      {"trailing space", kStd32 + " ", false},
      {"tab", "AAECAwQFBgcICQoLDA0O\tDxAREhMUFRYXGBkaGxwdHh8=", false},
      {"line break inside (wrapped openssl output)", "AAECAwQFBgcICQoLDA0O\nDxAREhMUFRYXGBkaGxwdHh8=", false},
      {"trailing newline (only files may have one)", kStd32 + "\n", false},
      {"character outside the alphabet", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh*=", false},
      {"mixed standard and url alphabets", "+AECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh_", false},
      {"base64url with padding", "yMnKy8zNzs_Q0dLT1NXW19jZ2tvc3d7f4OHi4-Tl5uc=", false},
      {"standard symbols without padding", "+/v7AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxw", false},
      {"too much padding", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8===", false},
      {"padding in the middle", "AAECAwQFBgcICQoLDA0ODxAREh=UFRYXGBkaGxwdHh8=", false},
      {"impossible length (4n+1)", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8gI", false},
      {"non-canonical: unused bits set", "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh9=", false},
      {"NUL byte", std::string("AAECAwQFBgcICQoLDA0ODx\0REhMUFRYXGBkaGxwdHh8=", 44), false},
      {"longer than 1024 bytes", std::string(1368, 'A') + "QUFB", false},
  };
  for (const KeyCase& c : cases) {
    std::string_view problem = keyTextProblem(c.text);
    EXPECT_EQ(problem.empty(), c.accepted) << c.why << ": " << problem;
    if (!c.accepted && c.text.size() >= 8) {
      EXPECT_EQ(std::string(problem).find(c.text.substr(0, 8)), std::string::npos)
          << "reason quotes the key: " << c.why;
    }
  }
}

TEST(KeyText, ExplainsWrappedOpensslOutput) {
  std::string_view problem = keyTextProblem("AAECAwQFBgcICQoLDA0O\nDxAREhMUFRYXGBkaGxwdHh8=");
  EXPECT_NE(problem.find("line break"), std::string_view::npos) << problem;
}

TEST(KeyText, ShortKeyReasonSaysWhy) {
  EXPECT_EQ(keyTextProblem("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg=="),
            "is too short (fewer than 32 bytes once decoded)");
}

TEST(KeyText, StripsExactlyOneTrailingNewline) {
  EXPECT_EQ(withoutTrailingNewline("abc\n"), "abc");
  EXPECT_EQ(withoutTrailingNewline("abc\r\n"), "abc");
  EXPECT_EQ(withoutTrailingNewline("abc\n\n"), "abc\n");
  EXPECT_EQ(withoutTrailingNewline("abc"), "abc");
  EXPECT_EQ(withoutTrailingNewline(""), "");
}

TEST(Base64, RoundTripsEveryLengthInBothAlphabets) {
  std::vector<unsigned char> bytes;
  for (int n = 0; n < 70; ++n) {
    for (auto alphabet : {Base64Alphabet::Standard, Base64Alphabet::Url}) {
      std::string text = base64Encode(bytes.data(), bytes.size(), alphabet);
      Base64Decoded decoded = base64DecodeStrict(text);
      if (n == 0) continue;  // empty text has nothing to decode
      ASSERT_TRUE(decoded.ok) << "length " << n << ": " << decoded.problem;
      EXPECT_EQ(decoded.bytes, bytes) << "length " << n;
    }
    bytes.push_back(static_cast<unsigned char>(n * 37 + 11));
  }
}

TEST(KeyGenerator, MakesAcceptedKeysOfTheRequestedSize) {
  for (std::size_t bytes : {32u, 33u, 64u, 1024u}) {
    for (auto alphabet : {Base64Alphabet::Standard, Base64Alphabet::Url}) {
      std::string key = generateKey(bytes, alphabet);
      EXPECT_TRUE(keyTextProblem(key).empty()) << bytes;
      EXPECT_EQ(base64DecodeStrict(key).bytes.size(), bytes);
    }
  }
  EXPECT_NE(generateKey(32, Base64Alphabet::Standard), generateKey(32, Base64Alphabet::Standard));
  EXPECT_THROW(generateKey(31, Base64Alphabet::Standard), std::invalid_argument);
  EXPECT_THROW(generateKey(1025, Base64Alphabet::Standard), std::invalid_argument);
}

}  // namespace
}  // namespace keyward
