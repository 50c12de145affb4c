#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <map>

#include "keyward/keys/KeyGenerator.h"
#include "keyward/keys/KeyLoader.h"
#include "keyward/keys/KeySources.h"
#include "support/TempDir.h"

namespace keyward {
namespace {

const std::string kShortKey = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg==";

std::string newKey() { return generateKey(32, Base64Alphabet::Standard); }

EnvLookup envOf(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

std::string problemsText(const std::vector<Problem>& problems) {
  std::string out;
  for (const auto& p : problems) out += p.text() + "\n";
  return out;
}

KeyDecl envKey(const std::string& id, const std::string& var) {
  KeyDecl d;
  d.id = id;
  d.peer = "worker";
  d.origin = KeyOrigin::Env;
  d.ref = var;
  return d;
}

KeyDecl fileKey(const std::string& id, const std::string& path) {
  KeyDecl d;
  d.id = id;
  d.peer = "api";
  d.origin = KeyOrigin::File;
  d.ref = path;
  return d;
}

TEST(EnvSource, ReadsAValidKeyAsItsDigest) {
  std::string key = newKey();
  SourceLoad load;
  loadKeyDecl(envKey("w1", "WORKER_API_KEY"), "", envOf({{"WORKER_API_KEY", key}}), load);
  ASSERT_TRUE(load.problems.empty()) << problemsText(load.problems);
  ASSERT_EQ(load.keys.size(), 1u);
  EXPECT_EQ(load.keys[0].id, "w1");
  EXPECT_EQ(load.keys[0].peer, "worker");
  EXPECT_EQ(load.keys[0].digest, sha256(key));
  EXPECT_EQ(load.describe(0), "env WORKER_API_KEY");
}

TEST(EnvSource, NamesTheVariableAndNeverTheKey) {
  SourceLoad load;
  loadKeyDecl(envKey("w1", "WORKER_API_KEY"), "", envOf({{"WORKER_API_KEY", kShortKey}}), load);
  ASSERT_EQ(load.problems.size(), 1u);
  std::string text = load.problems[0].text();
  EXPECT_NE(text.find("env WORKER_API_KEY"), std::string::npos) << text;
  EXPECT_NE(text.find("too short"), std::string::npos) << text;
  EXPECT_EQ(text.find(kShortKey.substr(0, 10)), std::string::npos) << text;

  SourceLoad unset;
  loadKeyDecl(envKey("w1", "MISSING"), "", envOf({}), unset);
  ASSERT_EQ(unset.problems.size(), 1u);
  EXPECT_EQ(unset.problems[0].text(), "env MISSING, key 'w1': is not set");

  SourceLoad empty;
  loadKeyDecl(envKey("w1", "EMPTY"), "", envOf({{"EMPTY", ""}}), empty);
  ASSERT_EQ(empty.problems.size(), 1u);
  EXPECT_NE(empty.problems[0].text().find("is empty"), std::string::npos);
}

TEST(FileSource, AllowsOneTrailingNewline) {
  test::TempDir dir;
  std::string key = newKey();
  for (const std::string& content : {key, key + "\n", key + "\r\n"}) {
    SourceLoad load;
    loadKeyDecl(fileKey("api", dir.write("k", content)), "", envOf({}), load);
    ASSERT_TRUE(load.problems.empty()) << problemsText(load.problems);
    EXPECT_EQ(load.keys[0].digest, sha256(key));
  }
  SourceLoad twoNewlines;
  loadKeyDecl(fileKey("api", dir.write("k", key + "\n\n")), "", envOf({}), twoNewlines);
  EXPECT_EQ(twoNewlines.problems.size(), 1u);
}

TEST(FileSource, RefusesUnsafeOrUnusableFiles) {
  test::TempDir dir;
  std::string key = newKey();
  std::string fifo = dir.file("fifo");
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  std::string dangling = dir.file("dangling");
  ASSERT_EQ(symlink(dir.file("nowhere").c_str(), dangling.c_str()), 0);
  struct Case {
    const char* why;
    std::string path;
    const char* reason;
  };
  const std::vector<Case> cases = {
      {"world-readable", dir.write("readable", key, 0644), "readable or writable by group or others (mode 0644)"},
      {"group-writable", dir.write("gw", key, 0620), "mode 0620"},
      {"missing", dir.file("missing"), "does not exist"},
      {"dangling symlink", dangling, "dangling symlink"},
      {"directory", dir.mkdir("sub"), "is a directory"},
      {"fifo (must not block)", fifo, "not a regular file"},
      {"empty", dir.write("empty", ""), "is empty"},
      {"too large", dir.write("large", std::string(20000, 'A')), "larger than"},
  };
  for (const Case& c : cases) {
    SourceLoad load;
    loadKeyDecl(fileKey("api", c.path), "", envOf({}), load);
    ASSERT_EQ(load.problems.size(), 1u) << c.why;
    std::string text = load.problems[0].text();
    EXPECT_NE(text.find("file " + c.path), std::string::npos) << c.why << ": " << text;
    EXPECT_NE(text.find(c.reason), std::string::npos) << c.why << ": " << text;
    EXPECT_EQ(text.find(key.substr(0, 10)), std::string::npos) << c.why;
  }
}

TEST(FileSource, PermissionCheckCanBeTurnedOffPerSource) {
  test::TempDir dir;
  std::string key = newKey();
  KeyDecl decl = fileKey("api", dir.write("k", key, 0644));
  decl.checkPermissions = false;
  SourceLoad load;
  loadKeyDecl(decl, "", envOf({}), load);
  EXPECT_TRUE(load.problems.empty()) << problemsText(load.problems);
}

TEST(FileSource, FollowsSymlinks) {
  test::TempDir dir;
  std::string key = newKey();
  std::string target = dir.write("target", key);
  std::string link = dir.file("link");
  ASSERT_EQ(symlink(target.c_str(), link.c_str()), 0);
  SourceLoad load;
  loadKeyDecl(fileKey("api", link), "", envOf({}), load);
  ASSERT_TRUE(load.problems.empty()) << problemsText(load.problems);
  EXPECT_EQ(load.keys[0].digest, sha256(key));
}

TEST(DigestSource, TakesTheSha256FromConfig) {
  KeyDecl decl;
  decl.id = "ci";
  decl.peer = "ci";
  decl.origin = KeyOrigin::Sha256;
  decl.ref = toHex(sha256("some key"));
  decl.line = 7;
  SourceLoad load;
  loadKeyDecl(decl, "/etc/k.yaml", envOf({}), load);
  ASSERT_EQ(load.keys.size(), 1u);
  EXPECT_EQ(load.keys[0].digest, sha256("some key"));
  EXPECT_EQ(load.describe(0), "/etc/k.yaml line 7");
}

TEST(KeyDirectory, EveryVisibleFileIsAKeyNamedAfterIt) {
  test::TempDir dir;
  std::string keys = dir.mkdir("keys");
  std::string a = newKey(), b = newKey();
  dir.write("keys/worker-1", a + "\n");
  dir.write("keys/worker-2", b);
  // Kubernetes layout: the visible name is a symlink through ..data into a hidden dir.
  dir.mkdir("keys/..2026_11_22_10_00_00.1");
  dir.write("keys/..2026_11_22_10_00_00.1/worker-3", newKey());
  ASSERT_EQ(symlink("..2026_11_22_10_00_00.1", (keys + "/..data").c_str()), 0);
  ASSERT_EQ(symlink("..data/worker-3", (keys + "/worker-3").c_str()), 0);
  dir.write("keys/.hidden", "not a key");

  KeyDirDecl decl{keys, "worker", true, 1};
  SourceLoad load;
  loadKeyDir(decl, load);
  ASSERT_TRUE(load.problems.empty()) << problemsText(load.problems);
  ASSERT_EQ(load.keys.size(), 3u);
  EXPECT_EQ(load.keys[0].id, "worker-1");
  EXPECT_EQ(load.keys[0].digest, sha256(a));
  EXPECT_EQ(load.keys[1].id, "worker-2");
  EXPECT_EQ(load.keys[2].id, "worker-3");
  EXPECT_EQ(load.keys[2].peer, "worker");
}

// Issue 14: a key file the daemon cannot open read "key directory ...: cannot be read
// (permission denied)", as if the directory were unreadable. The problem is the file's, and
// the log names it (the public text, as ever, not).
TEST(KeyDirectory, AFileThatCannotBeOpenedIsNamedNotTheDirectory) {
  test::TempDir dir;
  std::string keys = dir.mkdir("keys");
  dir.write("keys/good", newKey());
  std::filesystem::create_symlink(dir.file("nowhere"), keys + "/worker-x");
  SourceLoad load;
  loadKeyDir({keys, "w", true, 1}, load);
  ASSERT_EQ(load.problems.size(), 1u);
  EXPECT_EQ(load.problems[0].text(), "key directory " + keys +
                                         ", key 'worker-x': has a key file that is a dangling symlink (file " + keys +
                                         "/worker-x)");
  EXPECT_EQ(load.problems[0].publicText(), "key directory " + keys + ": has a key file that is a dangling symlink");
}

TEST(KeyDirectory, ReportsEachBadFileAndEmptyOrMissingDirectories) {
  test::TempDir dir;
  std::string keys = dir.mkdir("keys");
  dir.write("keys/good", newKey());
  dir.write("keys/short", kShortKey);
  SourceLoad load;
  loadKeyDir({keys, "w", true, 1}, load);
  ASSERT_EQ(load.problems.size(), 1u);
  EXPECT_EQ(load.problems[0].text(),
            "key directory " + keys + ", key 'short': is too short (fewer than 32 bytes once decoded)");
  EXPECT_EQ(load.problems[0].publicText().find("short'"), std::string::npos);

  SourceLoad empty;
  loadKeyDir({dir.mkdir("empty"), "w", true, 1}, empty);
  ASSERT_EQ(empty.problems.size(), 1u);
  EXPECT_NE(empty.problems[0].text().find("holds no key files"), std::string::npos);

  SourceLoad missing;
  loadKeyDir({dir.file("missing"), "w", true, 1}, missing);
  ASSERT_EQ(missing.problems.size(), 1u);
  EXPECT_NE(missing.problems[0].text().find("does not exist"), std::string::npos);
}

TEST(EnvFile, ReadsNameValueLines) {
  test::TempDir dir;
  std::string a = newKey(), b = newKey(), c = newKey();
  std::string path = dir.write("keys.env", "# keys for the api\n\nAUTH_API_KEY=" + a + "\nexport WORKER_API_KEY=\"" +
                                               b + "\"\r\nOTHER_KEY='" + c + "'\n");
  SourceLoad load;
  loadEnvFile({path, "api", {}, true, 1}, load);
  ASSERT_TRUE(load.problems.empty()) << problemsText(load.problems);
  ASSERT_EQ(load.keys.size(), 3u);
  EXPECT_EQ(load.keys[0].id, "AUTH_API_KEY");
  EXPECT_EQ(load.keys[0].digest, sha256(a));
  EXPECT_EQ(load.keys[1].digest, sha256(b));
  EXPECT_EQ(load.keys[2].digest, sha256(c));
  EXPECT_EQ(load.describe(1), "env file " + path + " line 4");
}

TEST(EnvFile, NamesSelectsVariablesAndMissingOnesAreErrors) {
  test::TempDir dir;
  std::string a = newKey();
  std::string path = dir.write("app.env", "DATABASE_URL=postgres://x\nAUTH_API_KEY=" + a + "\n");
  SourceLoad load;
  loadEnvFile({path, "api", {"AUTH_API_KEY"}, true, 1}, load);
  ASSERT_TRUE(load.problems.empty()) << problemsText(load.problems);
  ASSERT_EQ(load.keys.size(), 1u);

  SourceLoad missing;
  loadEnvFile({path, "api", {"WORKER_API_KEY"}, true, 1}, missing);
  ASSERT_EQ(missing.problems.size(), 1u);
  EXPECT_NE(missing.problems[0].text().find("does not define"), std::string::npos);
}

TEST(EnvFile, ReportsTheLineOfEachBadEntry) {
  test::TempDir dir;
  std::string path = dir.write("bad.env", "GOOD=" + newKey() + "\nnot a pair\nSHORT=" + kShortKey + "\nEMPTY=\n");
  SourceLoad load;
  loadEnvFile({path, "api", {}, true, 1}, load);
  std::string text = problemsText(load.problems);
  EXPECT_NE(text.find("line 2: is not a NAME=VALUE line"), std::string::npos) << text;
  EXPECT_NE(text.find("line 3, key 'SHORT': is too short"), std::string::npos) << text;
  EXPECT_NE(text.find("line 4, key 'EMPTY': is empty"), std::string::npos) << text;
  EXPECT_EQ(text.find(kShortKey.substr(0, 10)), std::string::npos) << text;

  SourceLoad none;
  loadEnvFile({dir.write("none.env", "# nothing\n"), "api", {}, true, 1}, none);
  ASSERT_EQ(none.problems.size(), 1u);
  EXPECT_NE(none.problems[0].text().find("holds no keys"), std::string::npos);
}

TEST(KeyLoader, CombinesSourcesAndRefusesDuplicates) {
  test::TempDir dir;
  std::string a = newKey(), b = newKey();
  Config config;
  config.keys.push_back(envKey("w1", "A"));
  config.keys.push_back(fileKey("api", dir.write("api", b)));
  KeyLoadResult ok = loadKeys(config, envOf({{"A", a}}), true);
  ASSERT_TRUE(ok.keys) << problemsText(ok.problems);
  EXPECT_EQ(ok.keys->size(), 2u);
  ASSERT_EQ(ok.listing.size(), 2u);
  EXPECT_EQ(ok.listing[0].fingerprint, fingerprint(sha256(a)));

  Config sameKeyTwice = config;
  sameKeyTwice.keys.push_back(envKey("w2", "A"));
  KeyLoadResult dup = loadKeys(sameKeyTwice, envOf({{"A", a}}));
  EXPECT_FALSE(dup.keys);
  EXPECT_NE(problemsText(dup.problems).find("the same key is configured under two ids"), std::string::npos);

  Config sameIdTwice = config;
  sameIdTwice.keys.push_back(envKey("w1", "B"));
  KeyLoadResult dupId = loadKeys(sameIdTwice, envOf({{"A", a}, {"B", newKey()}}));
  EXPECT_FALSE(dupId.keys);
  EXPECT_NE(problemsText(dupId.problems).find("one id is given to two keys"), std::string::npos);
}

TEST(KeyLoader, OneBadSourceMeansNoKeySet) {
  Config config;
  config.keys.push_back(envKey("w1", "A"));
  config.keys.push_back(envKey("w2", "B"));
  KeyLoadResult r = loadKeys(config, envOf({{"A", newKey()}, {"B", kShortKey}}));
  EXPECT_FALSE(r.keys);
  EXPECT_EQ(r.problems.size(), 1u);
}

TEST(KeyLoader, NoKeysAtAllIsAnError) {
  KeyLoadResult r = loadKeys(Config{}, envOf({}));
  EXPECT_FALSE(r.keys);
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_NE(r.problems[0].text().find("configures no keys"), std::string::npos);
}

}  // namespace
}  // namespace keyward
