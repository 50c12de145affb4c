#include <gtest/gtest.h>

#include <thread>

#include "keyward/base/Digest.h"

namespace keyward {
namespace {

TEST(Digest, MatchesTheSha256TestVector) {
  EXPECT_EQ(toHex(sha256("abc")), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(fingerprint(sha256("abc")), "ba7816bf8f01cfea");
}

TEST(Digest, ParsesHexInEitherCaseAndRefusesTheRest) {
  const std::string hex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
  ASSERT_TRUE(digestFromHex(hex));
  EXPECT_EQ(*digestFromHex(hex), sha256("abc"));
  std::string upper = hex;
  for (char& c : upper) c = static_cast<char>(toupper(c));
  EXPECT_EQ(*digestFromHex(upper), sha256("abc"));
  EXPECT_FALSE(digestFromHex(hex.substr(1)));
  EXPECT_FALSE(digestFromHex(hex + "0"));
  EXPECT_FALSE(digestFromHex("zz" + hex.substr(2)));
}

TEST(Digest, IsTheSameOnEveryThread) {
  Digest here = sha256("same text");
  Digest there;
  std::thread([&] { there = sha256("same text"); }).join();
  EXPECT_EQ(here, there);
  EXPECT_TRUE(equalsConstantTime(here, there));
  EXPECT_FALSE(equalsConstantTime(here, sha256("other text")));
}

}  // namespace
}  // namespace keyward
