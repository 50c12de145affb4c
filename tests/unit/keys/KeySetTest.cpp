#include <gtest/gtest.h>

#include "keyward/base/Snapshot.h"
#include "keyward/keys/KeySet.h"

namespace keyward {
namespace {

const auto kNoSource = [](std::size_t) { return std::string("test"); };
const auto envNames = [](std::size_t i) { return std::string(i == 0 ? "env A" : "env B"); };

TEST(KeySet, FindsEveryKeyByDigestAndById) {
  KeySetBuilder builder;
  for (int i = 0; i < 5000; ++i) {
    builder.add({"key-" + std::to_string(i), i % 2 ? "worker" : "api", sha256("secret " + std::to_string(i))});
  }
  auto built = std::move(builder).build(kNoSource);
  ASSERT_TRUE(built.keys);
  const KeySet& set = *built.keys;
  EXPECT_EQ(set.size(), 5000u);
  for (int i = 0; i < 5000; ++i) {
    const KeyEntry* e = set.find(sha256("secret " + std::to_string(i)));
    ASSERT_NE(e, nullptr) << i;
    EXPECT_EQ(e->id, "key-" + std::to_string(i));
    EXPECT_EQ(set.findById(e->id), e);
  }
  EXPECT_EQ(set.find(sha256("secret 5000")), nullptr);
  EXPECT_EQ(set.findById("key-5000"), nullptr);
}

TEST(KeySet, EmptySetFindsNothing) {
  auto built = KeySetBuilder().build(kNoSource);
  ASSERT_TRUE(built.keys);
  EXPECT_EQ(built.keys->find(sha256("x")), nullptr);
}

TEST(KeySet, RefusesTwoKeysWithOneIdAndOneKeyUnderTwoIds) {
  KeySetBuilder sameId;
  sameId.add({"a", "p", sha256("one")});
  sameId.add({"a", "p", sha256("two")});
  auto r1 = std::move(sameId).build(envNames);
  EXPECT_FALSE(r1.keys);
  ASSERT_EQ(r1.problems.size(), 1u);
  EXPECT_EQ(r1.problems[0].text(), "key set, key 'a': one id is given to two keys (env A and env B)");
  EXPECT_EQ(r1.problems[0].publicText(), "key set: one id is given to two keys");

  KeySetBuilder sameKey;
  sameKey.add({"a", "p", sha256("one")});
  sameKey.add({"b", "p", sha256("one")});
  auto r2 = std::move(sameKey).build(envNames);
  EXPECT_FALSE(r2.keys);
  ASSERT_EQ(r2.problems.size(), 1u);
  EXPECT_NE(r2.problems[0].text().find("the same key is configured under two ids"), std::string::npos);
}

TEST(Snapshot, ReadersSeeEachPublishedValue) {
  Published<int> published;
  SnapshotReader<int> reader(published);
  EXPECT_EQ(reader.get(), nullptr);
  EXPECT_EQ(published.publish(std::make_shared<const int>(1)), 1u);
  EXPECT_EQ(*reader.get(), 1);
  EXPECT_EQ(published.publish(std::make_shared<const int>(2)), 2u);
  EXPECT_EQ(*reader.get(), 2);
}

}  // namespace
}  // namespace keyward
