// The worker-side key source: files re-read when they change, the last good key kept
// through a rotation's awkward moments.
#include <Poco/Net/HTTPRequest.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>

#include "keyward/Client.h"
#include "keyward/keys/KeyGenerator.h"
#include "support/TempDir.h"

namespace keyward {
namespace {

std::string newKey() { return generateKey(32, Base64Alphabet::Standard); }

// Replaces `path` atomically, as keygen --out --force and most tools do.
void replaceFile(const test::TempDir& dir, const std::string& name, const std::string& content) {
  const std::string tmp = dir.write(name + ".tmp", content);
  ASSERT_EQ(std::rename(tmp.c_str(), dir.file(name).c_str()), 0);
}

TEST(ClientKey, ReadsAFileAndFollowsItsReplacement) {
  test::TempDir dir;
  std::string first = newKey(), second = newKey();
  dir.write("worker.key", first + "\n");
  ClientKey key = ClientKey::fromFile(dir.file("worker.key"));
  EXPECT_EQ(key.current(), first);
  replaceFile(dir, "worker.key", second + "\n");
  EXPECT_EQ(key.current(), second);
  Poco::Net::HTTPRequest request("GET", "/runs");
  key.attach(request);
  EXPECT_EQ(request.get("X-API-Key"), second);
  key.attach(request, ClientKey::Header::Bearer);
  EXPECT_EQ(request.get("Authorization"), "Bearer " + second);
}

TEST(ClientKey, KeepsTheLastGoodKeyWhileTheFileIsMissingOrHalfWritten) {
  test::TempDir dir;
  std::string good = newKey(), next = newKey();
  dir.write("worker.key", good);
  ClientKey key = ClientKey::fromFile(dir.file("worker.key"));
  ASSERT_EQ(::unlink(dir.file("worker.key").c_str()), 0);
  EXPECT_EQ(key.current(), good);
  EXPECT_NE(key.lastProblem().find("is missing"), std::string::npos);
  replaceFile(dir, "worker.key", next.substr(0, 20));  // caught half-written
  EXPECT_EQ(key.current(), good);
  EXPECT_EQ(key.lastProblem().find(next.substr(0, 20)), std::string::npos) << "never the key text";
  replaceFile(dir, "worker.key", next);
  EXPECT_EQ(key.current(), next);
  EXPECT_EQ(key.lastProblem(), "");
}

TEST(ClientKey, FollowsAKubernetesDataSymlinkSwap) {
  test::TempDir dir;
  std::string first = newKey(), second = newKey();
  // <mount>/worker.key -> ..data/worker.key, ..data -> ..2026_11_22_v1
  dir.mkdir("..v1");
  dir.mkdir("..v2");
  dir.write("..v1/worker.key", first);
  dir.write("..v2/worker.key", second);
  ASSERT_EQ(::symlink("..v1", dir.file("..data").c_str()), 0);
  ASSERT_EQ(::symlink("..data/worker.key", dir.file("worker.key").c_str()), 0);
  ClientKey key = ClientKey::fromFile(dir.file("worker.key"));
  EXPECT_EQ(key.current(), first);
  ASSERT_EQ(::symlink("..v2", dir.file("..data_tmp").c_str()), 0);
  ASSERT_EQ(std::rename(dir.file("..data_tmp").c_str(), dir.file("..data").c_str()), 0);
  EXPECT_EQ(key.current(), second);
}

TEST(ClientKey, RefusesWhatTheDaemonRefusesAndNamesTheSource) {
  test::TempDir dir;
  dir.write("short.key", "c2hvcnQ=");
  dir.write("open.key", newKey(), 0644);
  for (const char* name : {"short.key", "open.key", "absent.key"}) {
    ClientKey key = ClientKey::fromFile(dir.file(name));
    try {
      key.current();
      ADD_FAILURE() << name << " was accepted";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(dir.file(name)), std::string::npos) << e.what();
    }
  }
  EXPECT_NO_THROW(ClientKey::fromFile(dir.file("open.key"), false).current()) << "Kubernetes 0644 opt-out";
  std::string fromEnv = newKey();
  ::setenv("KEYWARD_TEST_CLIENT_KEY", fromEnv.c_str(), 1);
  EXPECT_EQ(ClientKey::fromEnv("KEYWARD_TEST_CLIENT_KEY").current(), fromEnv);
  ::unsetenv("KEYWARD_TEST_CLIENT_KEY");
  EXPECT_THROW(ClientKey::fromEnv("KEYWARD_TEST_CLIENT_KEY").current(), std::runtime_error);
}

}  // namespace
}  // namespace keyward
