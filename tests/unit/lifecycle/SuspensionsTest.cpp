// Leak suspensions in the usage store: one write per batch, a write that fails is returned
// (and the suspension kept in memory, marked unsaved), a clear that cannot be written is not
// made, and a corrupt suspended.json is reported as itself.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "keyward/base/Digest.h"
#include "keyward/lifecycle/UsageStore.h"
#include "support/TempDir.h"

namespace keyward {
namespace {

constexpr std::int64_t kT0 = 1'800'000'000'000;

SuspendedKey leak(const std::string& text, std::int64_t timeMs = kT0) {
  return {sha256(text), "id-" + text, "https://example.com/" + text, "test", timeMs};
}

std::string readFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

ino_t inodeOf(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? st.st_ino : 0;
}

TEST(Suspensions, ABatchIsAddedOnceAndWrittenOnce) {
  test::TempDir dir;
  UsageStore store;
  ASSERT_TRUE(store.load(dir.path()).suspensionsProblem.empty());
  std::vector<SuspendedKey> batch;
  for (int i = 0; i < 300; ++i) batch.push_back(leak("k" + std::to_string(i)));
  batch.push_back(leak("k7"));  // reported twice in one batch: suspended once
  UsageStore::SuspensionChange added = store.addSuspensions(batch);
  EXPECT_TRUE(added.saved) << added.problem;
  EXPECT_EQ(added.changed.size(), 300u);
  EXPECT_EQ(store.suspensionsAdded(), 300u);
  const std::string path = UsageStore::suspensionsPath(dir.path());
  const std::string onDisk = readFile(path);
  for (int i = 0; i < 300; ++i) EXPECT_NE(onDisk.find(toHex(sha256("k" + std::to_string(i)))), std::string::npos);

  // Nothing new: no write at all (the file is replaced by rename on every write).
  const ino_t before = inodeOf(path);
  UsageStore::SuspensionChange again = store.addSuspensions({leak("k1"), leak("k2")});
  EXPECT_TRUE(again.saved);
  EXPECT_TRUE(again.changed.empty());
  EXPECT_EQ(inodeOf(path), before);

  UsageStore fromDisk;
  ASSERT_TRUE(fromDisk.load(dir.path()).suspensionsProblem.empty());
  EXPECT_EQ(fromDisk.suspensions().size(), 300u);
}

// A directory where suspended.json goes: the atomic rename fails, also for root.
TEST(Suspensions, AWriteThatFailsIsReturnedKeptInMemoryAndRetried) {
  test::TempDir dir;
  UsageStore store;
  store.load(dir.path());
  const std::string path = UsageStore::suspensionsPath(dir.path());
  ASSERT_EQ(::mkdir(path.c_str(), 0700), 0);
  UsageStore::SuspensionChange added = store.addSuspensions({leak("a")});
  EXPECT_FALSE(added.saved);
  EXPECT_EQ(added.path, path);
  EXPECT_FALSE(added.problem.empty());
  EXPECT_EQ(added.problem.find(toHex(sha256("a"))), std::string::npos) << "the problem never names a key";
  EXPECT_EQ(added.changed.size(), 1u);
  EXPECT_EQ(store.suspensions().size(), 1u) << "fail closed: still suspended in memory";
  EXPECT_FALSE(store.suspensionsSaved());
  EXPECT_TRUE(store.dirty());
  // While unsaved, a batch with nothing new tries the write again (and says it failed).
  EXPECT_FALSE(store.addSuspensions({}).saved);

  // A clear that cannot be written is not made.
  UsageStore::SuspensionChange cleared = store.clearSuspensions("id-a", kT0 + 5);
  EXPECT_FALSE(cleared.saved);
  EXPECT_EQ(store.suspensions().size(), 1u);
  EXPECT_TRUE(store.suspensionClears().empty());

  // The periodic save tries again, says which file failed, and saves usage all the same.
  store.forKey("worker").record(kT0, true, "GET", "/", 200, "", "::1");
  std::string problem, failedPath;
  EXPECT_FALSE(store.save(dir.path(), problem, &failedPath));
  EXPECT_EQ(failedPath, path);
  EXPECT_NE(readFile(UsageStore::statePath(dir.path())).find("worker"), std::string::npos);

  // Fixed: the periodic save writes the list.
  ASSERT_EQ(::rmdir(path.c_str()), 0);
  ASSERT_TRUE(store.save(dir.path(), problem)) << problem;
  EXPECT_TRUE(store.suspensionsSaved());
  EXPECT_NE(readFile(path).find(toHex(sha256("a"))), std::string::npos);
}

TEST(Suspensions, ClearsAreRememberedAfterTheSuspensionTheyClear) {
  test::TempDir dir;
  UsageStore store;
  store.load(dir.path());
  ASSERT_TRUE(store.addSuspensions({leak("a", kT0 + 1000), leak("b")}).saved);
  // A clock behind the report's: the clear is still ordered after it.
  UsageStore::SuspensionChange cleared = store.clearSuspensions(fingerprint(sha256("a")), kT0);
  ASSERT_TRUE(cleared.saved);
  ASSERT_EQ(cleared.changed.size(), 1u);
  ASSERT_EQ(store.suspensionClears().size(), 1u);
  EXPECT_GT(store.suspensionClears()[0].timeMs, kT0 + 1000);
  EXPECT_EQ(readFile(UsageStore::suspensionsPath(dir.path())).find(toHex(sha256("a"))), std::string::npos);
  EXPECT_EQ(store.clearSuspensionsOf({{sha256("b"), kT0 + 50}}).changed.size(), 1u);
  EXPECT_TRUE(store.suspensions().empty());
  // Suspended again: no longer a clear to share.
  store.addSuspensions({leak("a", kT0 + 2000)});
  ASSERT_EQ(store.suspensionClears().size(), 1u);
  EXPECT_TRUE(store.suspensionClears()[0].digest == sha256("b"));
}

TEST(Suspensions, ACorruptListIsReportedAsItself) {
  test::TempDir dir;
  dir.write("suspended.json", "{\"version\":1,\"suspended\":[{\"sha256\":");
  UsageStore store;
  UsageStore::LoadOutcome loaded = store.load(dir.path());
  EXPECT_TRUE(loaded.revocationsProblem.empty()) << loaded.revocationsProblem;
  EXPECT_NE(loaded.suspensionsProblem.find("suspended.json"), std::string::npos) << loaded.suspensionsProblem;
}

}  // namespace
}  // namespace keyward
