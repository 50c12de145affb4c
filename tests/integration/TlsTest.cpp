// The HTTPS listener through the real binary, with certificates made by openssl(1) and
// curl as the client: TLS 1.2+ only, certificate reload on SIGHUP, a bad certificate on
// reload keeping the old one serving.

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>

#include <regex>

#include "support/Daemon.h"
#include "support/Keyward.h"

namespace keyward::test {
namespace {

// A self-signed certificate for 127.0.0.1: writes NAME.crt and NAME.key (0600) into `dir`.
void makeCertificate(const TempDir& dir, const std::string& name) {
  CommandResult r =
      runCommand("/usr/bin/openssl", {"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                                      "-keyout", dir.file(name + ".key"), "-out", dir.file(name + ".crt"), "-days", "2",
                                      "-subj", "/CN=keyward-test", "-addext", "subjectAltName=IP:127.0.0.1"});
  ASSERT_EQ(r.exitCode, 0) << r.err;
  ASSERT_EQ(::chmod(dir.file(name + ".key").c_str(), 0600), 0);
}

int tlsPort(Daemon& daemon) {
  std::smatch m;
  std::string out = daemon.out();
  return std::regex_search(out, m, std::regex("\"listen_tls\":\"127\\.0\\.0\\.1:([0-9]+)\"")) ? std::stoi(m[1]) : 0;
}

// curl over TLS trusting only `ca`; returns "<status>" or the curl error exit.
std::string curlStatus(int port, const std::string& ca, const std::string& key, std::vector<std::string> extra = {}) {
  std::vector<std::string> args = {"-sS", "-o", "/dev/null",        "-w", "%{http_code}", "--cacert",
                                   ca,    "-H", "X-API-Key: " + key};
  args.insert(args.end(), extra.begin(), extra.end());
  args.push_back("https://127.0.0.1:" + std::to_string(port) + "/v1/verify");
  CommandResult r = runCommand("/usr/bin/curl", args);
  return r.exitCode == 0 ? r.out : "curl exit " + std::to_string(r.exitCode);
}

TEST(Tls, ServesHttpsTls12AndUpAndReloadsTheCertificate) {
  std::string key = newKey();
  TempDir certs;
  makeCertificate(certs, "one");
  makeCertificate(certs, "two");
  auto install = [&](const std::string& name) {
    certs.write("server.crt", readFile(certs.file(name + ".crt")), 0644);
    certs.write("server.key", readFile(certs.file(name + ".key")), 0600);
  };
  install("one");
  Keyward kw("tls: { listen: '127.0.0.1:0', cert_file: " + certs.file("server.crt") +
                 ", key_file: " + certs.file("server.key") + " }\nkeys:\n  - { id: a, env: K }\n",
             {{"K", key}});
  ASSERT_TRUE(kw.daemon().waitUntilServing()) << kw.output();
  const int port = tlsPort(kw.daemon());
  ASSERT_GT(port, 0) << kw.output();

  EXPECT_EQ(curlStatus(port, certs.file("one.crt"), key), "200");
  EXPECT_EQ(curlStatus(port, certs.file("one.crt"), newKey()), "401");
  EXPECT_EQ(curlStatus(port, certs.file("one.crt"), key, {"--tlsv1.2", "--tls-max", "1.2"}), "200");
  EXPECT_EQ(curlStatus(port, certs.file("one.crt"), key, {"--tlsv1.3"}), "200");
  // TLS 1.1 is refused by the server (the client is allowed to try it).
  CommandResult old =
      runCommand("/bin/sh", {"-c", "echo | /usr/bin/openssl s_client -connect 127.0.0.1:" + std::to_string(port) +
                                       " -tls1_1 -cipher 'DEFAULT:@SECLEVEL=0' 2>&1"});
  EXPECT_NE(old.out.find("alert protocol version"), std::string::npos) << old.out;
  EXPECT_NE(old.out.find("Cipher is (NONE)"), std::string::npos) << old.out;
  EXPECT_EQ(kw.verifyStatus(key), 200) << "the plain listener still serves";

  // Several requests on one TLS connection (curl reuses it for the second URL).
  CommandResult twice = runCommand(
      "/usr/bin/curl", {"-sS", "--cacert", certs.file("one.crt"), "-H", "X-API-Key: " + key, "-w", "%{num_connects}\n",
                        "-o", "/dev/null", "https://127.0.0.1:" + std::to_string(port) + "/v1/verify", "-o",
                        "/dev/null", "https://127.0.0.1:" + std::to_string(port) + "/v1/verify"});
  EXPECT_EQ(twice.out, "1\n0\n") << twice.err;

  // A broken certificate on reload: refused, the old one keeps serving.
  certs.write("server.crt", "-----BEGIN CERTIFICATE-----\nnot a certificate\n-----END CERTIFICATE-----\n", 0644);
  ASSERT_TRUE(kw.reload());
  EXPECT_TRUE(kw.daemon().waitForLog("\"event\":\"tls_reload_failed\"")) << kw.output();
  EXPECT_EQ(curlStatus(port, certs.file("one.crt"), key), "200");

  // A good new certificate: new connections get it.
  install("two");
  ASSERT_TRUE(kw.reload());
  EXPECT_TRUE(kw.daemon().waitForLog("certificate reloaded")) << kw.output();
  EXPECT_EQ(curlStatus(port, certs.file("two.crt"), key), "200");
  EXPECT_NE(curlStatus(port, certs.file("one.crt"), key), "200");
  expectNoKeyIn(kw.output(), {key});
}

TEST(Tls, AReadablePrivateKeyOrAMismatchStopsTheStart) {
  TempDir certs;
  makeCertificate(certs, "one");
  makeCertificate(certs, "two");
  ASSERT_EQ(::chmod(certs.file("one.key").c_str(), 0644), 0);
  std::string key = newKey();
  {
    Keyward open("tls: { listen: '127.0.0.1:0', cert_file: " + certs.file("one.crt") +
                     ", key_file: " + certs.file("one.key") + " }\nkeys:\n  - { id: a, env: K }\n",
                 {{"K", key}});
    EXPECT_EQ(open.daemon().waitExit(), 1);
    EXPECT_NE(open.output().find("is readable or writable by group or others"), std::string::npos) << open.output();
  }
  Keyward mismatch("tls: { listen: '127.0.0.1:0', cert_file: " + certs.file("one.crt") +
                       ", key_file: " + certs.file("two.key") + " }\nkeys:\n  - { id: a, env: K }\n",
                   {{"K", key}});
  EXPECT_EQ(mismatch.daemon().waitExit(), 1);
  EXPECT_NE(mismatch.output().find("does not match"), std::string::npos) << mismatch.output();
}

}  // namespace
}  // namespace keyward::test
