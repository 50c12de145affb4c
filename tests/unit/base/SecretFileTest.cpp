// SecretFile: the non-blocking, regular-files-only reader, the root-only owner checks, and
// the rule that decides whether a path from the config may be shown.

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "keyward/base/SecretFile.h"
#include "keyward/keys/KeyGenerator.h"
#include "support/TempDir.h"

namespace keyward {
namespace {

std::string newKey() { return generateKey(32, Base64Alphabet::Standard); }

TEST(PrintablePath, ShowsRealPathsAndHidesWhatCouldBeAPastedKey) {
  test::TempDir dir;
  const std::string key = newKey();
  struct Case {
    const char* why;
    std::string path;
    bool shown;
  };
  const std::vector<Case> cases = {
      {"an existing file", dir.write("worker.key", "x"), true},
      {"a missing file in an existing directory", dir.file("absent.key"), true},
      {"a key pasted as the path", key, false},
      {"a key with a leading slash: its parent is /", "/" + key, false},
      {"a relative path (could be anything)", "keys/worker.key", false},
      {"a path under a directory that does not exist", dir.file("nowhere/worker.key"), false},
      {"a key whose slashes make it look like a path", "/Ab3/" + key, false},
      {"empty", "", false},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(printablePath(c.path), c.shown ? c.path : "") << c.why;
  }
}

TEST(PlainFile, ReadsRegularFilesAndRefusesFifosWithoutBlocking) {
  test::TempDir dir;
  PlainFileRead ok = readPlainFile(dir.write("cert.pem", "-----BEGIN-----\n"), 1024);
  EXPECT_TRUE(ok.ok) << ok.problem;
  EXPECT_EQ(ok.content, "-----BEGIN-----\n");
  ASSERT_EQ(::mkfifo(dir.file("fifo").c_str(), 0600), 0);
  PlainFileRead fifo = readPlainFile(dir.file("fifo"), 1024);  // would block forever with fopen()
  EXPECT_FALSE(fifo.ok);
  EXPECT_EQ(fifo.problem, "is not a regular file (FIFO, socket or device)");
  PlainFileRead device = readPlainFile("/dev/zero", 1024);
  EXPECT_FALSE(device.ok);
  PlainFileRead big = readPlainFile(dir.write("big", std::string(2000, 'a')), 1024);
  EXPECT_FALSE(big.ok);
  EXPECT_EQ(big.problem, "is larger than 1024 bytes");
}

// keygen --out writes a hidden temporary file, links it to its name and unlinks the
// temporary: the unlink changes the file's ctime (its link count), not its content. A reload
// reading the key just then refused the whole key set ("changed while it was being read"),
// which the suite saw once in ten runs (HostileStartup.KeygenIntoAWatchedKeyDirectory...).
TEST(SecretFile, ALinkCountChangeDuringTheReadIsNotAChangeOfContent) {
  test::TempDir dir;
  const std::string key = newKey();
  const std::string path = dir.write("worker", key + "\n", 0600);
  std::atomic<bool> running{true};
  std::thread linker([&] {
    const std::string other = dir.file(".worker.tmp");
    while (running) {
      ::link(path.c_str(), other.c_str());
      ::unlink(other.c_str());
    }
  });
  int refused = 0;
  std::string problem;
  for (int i = 0; i < 2000; ++i) {
    SecretFileRead read = readSecretFile(path, {true, 4096, true});
    if (!read.ok) {
      ++refused;
      problem = read.problem;
    } else {
      EXPECT_EQ(read.content.view(), key + "\n");
    }
  }
  running = false;
  linker.join();
  EXPECT_EQ(refused, 0) << problem;
}

// A change of content during the read is still refused (an in-place rewrite of another size).
TEST(SecretFile, AContentChangeDuringTheReadIsStillRefusedOrReadWhole) {
  test::TempDir dir;
  const std::string a = newKey(), b = generateKey(48, Base64Alphabet::Standard);
  const std::string path = dir.write("worker", a + "\n", 0600);
  std::atomic<bool> running{true};
  std::thread writer([&] {
    for (bool flip = false; running; flip = !flip) dir.write("worker", (flip ? b : a) + "\n", 0600);
  });
  for (int i = 0; i < 500; ++i) {
    SecretFileRead read = readSecretFile(path, {true, 4096, true});
    if (read.ok) {
      const std::string content(read.content.view());
      // Empty: the moment between the writer's truncate and its write, a real state of the file.
      EXPECT_TRUE(content.empty() || content == a + "\n" || content == b + "\n") << "a mixed read";
    }
  }
  running = false;
  writer.join();
}

TEST(SecretFileOwner, AsRootAFileOrDirectoryOtherUsersControlIsRefused) {
  if (::geteuid() != 0) GTEST_SKIP() << "the owner checks apply only when running as root";
  enableRootOwnerChecks();  // as the daemon does
  test::TempDir dir;
  const std::string key = newKey();
  const std::string theirs = dir.write("theirs.key", key);
  ASSERT_EQ(::chown(theirs.c_str(), 65534, 65534), 0);
  SecretFileRead owned = readSecretFile(theirs, {true, 16384, true});
  EXPECT_FALSE(owned.ok);
  EXPECT_NE(owned.problem.find("owned by uid 65534"), std::string::npos) << owned.problem;
  EXPECT_TRUE(readSecretFile(theirs, {true, 16384, false}).ok) << "only key sources ask for the owner check";
  EXPECT_TRUE(readSecretFile(theirs, {false, 16384, true}).ok) << "check_permissions: false turns it off";

  const std::string open = dir.mkdir("open");
  ASSERT_EQ(::chmod(open.c_str(), 0777), 0);
  SecretFileRead inOpen = readSecretFile(dir.write("open/k", key), {true, 16384, true});
  EXPECT_FALSE(inOpen.ok);
  EXPECT_NE(inOpen.problem.find("that group or others may write without the sticky bit"), std::string::npos)
      << inOpen.problem;
  ASSERT_EQ(::chmod(open.c_str(), 01777), 0);
  EXPECT_TRUE(readSecretFile(dir.file("open/k"), {true, 16384, true}).ok) << "a sticky directory is safe";

  // Through a symlink (a Kubernetes mount), the directory that really holds the file counts.
  ASSERT_EQ(::chmod(open.c_str(), 0777), 0);
  ASSERT_EQ(::symlink(dir.file("open/k").c_str(), dir.file("link").c_str()), 0);
  EXPECT_FALSE(readSecretFile(dir.file("link"), {true, 16384, true}).ok);
  // Any directory on the way counts, not only the one holding the file.
  const std::string outer = dir.mkdir("outer");
  dir.mkdir("outer/inner");
  ASSERT_EQ(::chmod(outer.c_str(), 0777), 0);
  SecretFileRead deep = readSecretFile(dir.write("outer/inner/k", key), {true, 16384, true});
  EXPECT_FALSE(deep.ok);
  EXPECT_NE(deep.problem.find(outer), std::string::npos) << deep.problem;
  const std::string theirsDir = dir.mkdir("theirs");
  ASSERT_EQ(::chown(theirsDir.c_str(), 65534, 65534), 0);
  SecretFileRead inTheirs = readSecretFile(dir.write("theirs/k", key), {true, 16384, true});
  EXPECT_FALSE(inTheirs.ok);
  EXPECT_NE(inTheirs.problem.find("owned by uid 65534"), std::string::npos) << inTheirs.problem;
  for (const std::string& problem : {owned.problem, inOpen.problem, deep.problem}) {
    EXPECT_EQ(problem.find(key.substr(0, 16)), std::string::npos);
  }
}

}  // namespace
}  // namespace keyward
