// keygen: makes keyward keys with OpenSSL's CSPRNG, checks keys, prints fingerprints.
// Never echoes a key it reads; only the keys it creates are printed (unless --out).

#include <openssl/crypto.h>
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <string>
#include <vector>

#include "keyward/base/AtomicFile.h"
#include "keyward/base/Digest.h"
#include "keyward/base/Names.h"
#include "keyward/base/SecretBuffer.h"
#include "keyward/keys/KeyGenerator.h"
#include "keyward/keys/KeyText.h"
#include "keyward/keys/PrefixedKey.h"

namespace {

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

constexpr const char* kUsage =
    "usage: keygen [--bytes N] [--url | --prefix NAME] [--env NAME] [--out PATH [--force]] [--sha256] [--count N]\n"
    "       keygen check         < key    exit 0 if keyward accepts the key, else 1 and why\n"
    "       keygen fingerprint   < key    print the key's short fingerprint\n"
    "       keygen sha256        < key    print the 'sha256:' line for keyward.yaml\n"
    "       keygen --help | --version\n"
    "\n"
    "  --bytes N    random bytes in the key, 32..1024 (default 32)\n"
    "  --url        base64url without padding instead of standard base64\n"
    "  --prefix NAME  a key scanners can find: NAME_ + 43 base62 characters (256 bits) + a 6-character\n"
    "               checksum; NAME is 2..32 of a-z 0-9 _ (e.g. acme_live); not with --bytes or --url\n"
    "  --env NAME   print NAME=<key> (an env file line)\n"
    "  --out PATH   write the key to PATH (mode 0600, atomically) and print only its fingerprint\n"
    "  --force      with --out, replace an existing file\n"
    "  --sha256     also print the 'sha256: <hex>' line for keyward.yaml\n"
    "  --count N    print N keys, one per line (with --env: NAME_1=..., NAME_2=...); not with --out\n";

int usageError(const std::string& message) {
  std::cerr << "keygen: " << message << "\n" << kUsage;
  return kExitUsage;
}

// Reads one key from stdin into wiped memory; one trailing newline is allowed.
bool readKeyFromStdin(keyward::SecretBuffer& buffer, std::string& problem) {
  buffer = keyward::SecretBuffer(keyward::kMaxKeyTextLength + 3);
  std::size_t total = 0;
  while (total < buffer.capacity()) {
    ssize_t n = ::read(STDIN_FILENO, buffer.data() + total, buffer.capacity() - total);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      problem = "cannot read standard input";
      return false;
    }
    if (n == 0) break;
    total += static_cast<std::size_t>(n);
  }
  buffer.setSize(total);
  if (total == buffer.capacity()) {
    problem = "is too long (more than 1024 bytes once decoded)";
    return false;
  }
  return true;
}

int inspect(const std::string& command) {
  keyward::SecretBuffer buffer;
  std::string problem;
  if (!readKeyFromStdin(buffer, problem)) {
    std::cerr << "keygen: the key " << problem << "\n";
    return kExitFailed;
  }
  std::string_view key = keyward::withoutTrailingNewline(buffer.view());
  std::string_view reason = keyward::keyTextProblem(key);
  if (command == "check") {
    if (!reason.empty()) {
      std::cerr << "keygen: invalid key: the key " << reason << "\n";
      return kExitFailed;
    }
    std::cout << "ok: keyward accepts this key (fingerprint " << keyward::fingerprintOfKey(key) << ")\n";
    return kExitOk;
  }
  if (!reason.empty()) std::cerr << "keygen: warning: keyward would refuse this key: it " << reason << "\n";
  if (command == "fingerprint") {
    std::cout << keyward::fingerprintOfKey(key) << "\n";
  } else {
    std::cout << "sha256: " << keyward::toHex(keyward::sha256(key)) << "\n";
  }
  return reason.empty() ? kExitOk : kExitFailed;
}

}  // namespace

int main(int argc, char** argv) {
  // --name=value is --name value, as in keyward's subcommands.
  std::vector<std::string> args;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const std::size_t eq = arg.find('=');
    if (arg.rfind("--", 0) == 0 && eq != std::string::npos) {
      args.push_back(arg.substr(0, eq));
      args.push_back(arg.substr(eq + 1));
    } else {
      args.push_back(arg);
    }
  }
  // Help and version answer on stdout with exit 0 wherever they are asked for.
  for (const std::string& arg : args) {
    if (arg == "--") break;
    if (arg == "-h" || arg == "--help") {
      std::cout << kUsage;
      return kExitOk;
    }
    if (arg == "-V" || arg == "--version") {
      std::cout << "keygen (keyward) " << KEYWARD_VERSION << "\n";
      return kExitOk;
    }
  }
  if (!args.empty() && (args[0] == "check" || args[0] == "fingerprint" || args[0] == "sha256")) {
    if (args.size() > 2 || (args.size() == 2 && args[1] != "--")) {
      return usageError("'" + args[0] + "' takes no arguments; it reads the key on stdin");
    }
    return inspect(args[0]);
  }

  std::size_t bytes = 32;
  unsigned long count = 0;
  bool url = false, force = false, withDigest = false, bytesGiven = false;
  std::string envName, outPath, prefix;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    auto value = [&]() -> const std::string* { return i + 1 < args.size() ? &args[++i] : nullptr; };
    if (arg == "--") {
      // The end of the options: keygen takes no operands.
      if (i + 1 < args.size()) return usageError("unexpected argument '" + args[i + 1] + "'");
      break;
    } else if (arg == "--bytes") {
      const std::string* v = value();
      if (!v) return usageError("--bytes needs a number");
      char* end = nullptr;
      errno = 0;
      unsigned long long n = std::strtoull(v->c_str(), &end, 10);
      if (v->empty() || *end != '\0' || errno != 0 || (*v)[0] == '-' || n < keyward::kMinKeyBytes ||
          n > keyward::kMaxKeyBytes) {
        return usageError("--bytes must be a whole number from 32 to 1024");
      }
      bytes = static_cast<std::size_t>(n);
      bytesGiven = true;
    } else if (arg == "--count") {
      const std::string* v = value();
      char* end = nullptr;
      count = v ? std::strtoul(v->c_str(), &end, 10) : 0;
      if (!v || v->empty() || *end != '\0' || (*v)[0] == '-' || count < 1 || count > 10000000) {
        return usageError("--count must be a whole number from 1 to 10000000");
      }
    } else if (arg == "--url") {
      url = true;
    } else if (arg == "--prefix") {
      const std::string* v = value();
      if (!v || !keyward::isValidKeyPrefix(*v)) {
        return usageError(
            "--prefix needs a NAME of 2..32 characters a-z 0-9 _, starting with a letter, not ending with _");
      }
      prefix = *v;
    } else if (arg == "--env") {
      const std::string* v = value();
      if (!v || !keyward::isValidEnvName(*v)) return usageError("--env needs a variable name ([A-Za-z_][A-Za-z0-9_]*)");
      envName = *v;
    } else if (arg == "--out") {
      const std::string* v = value();
      if (!v || v->empty()) return usageError("--out needs a path");
      outPath = *v;
    } else if (arg == "--force") {
      force = true;
    } else if (arg == "--sha256") {
      withDigest = true;
    } else {
      return usageError("unknown argument '" + arg + "'");
    }
  }
  if (force && outPath.empty()) return usageError("--force only makes sense with --out");
  if (!prefix.empty() && (url || bytesGiven))
    return usageError("--prefix makes base62 keys of a fixed size: not with --url or --bytes");
  const auto alphabet = url ? keyward::Base64Alphabet::Url : keyward::Base64Alphabet::Standard;
  auto makeKey = [&] {
    return prefix.empty() ? keyward::generateKey(bytes, alphabet) : keyward::generatePrefixedKey(prefix);
  };
  if (count > 0) {
    if (!outPath.empty()) return usageError("--count writes to standard output; it cannot be used with --out");
    try {
      std::string lines;
      for (unsigned long i = 1; i <= count; ++i) {
        std::string key = makeKey();
        if (!envName.empty()) lines += envName + "_" + std::to_string(i) + "=";
        lines += key;
        if (withDigest) lines += " sha256:" + keyward::toHex(keyward::sha256(key));
        lines += '\n';
        OPENSSL_cleanse(key.data(), key.size());
        if (lines.size() > 65536 || i == count) {
          std::cout << lines;
          OPENSSL_cleanse(lines.data(), lines.size());
          lines.clear();
        }
      }
    } catch (const std::exception& e) {
      std::cerr << "keygen: " << e.what() << "\n";
      return kExitFailed;
    }
    return std::cout.good() ? kExitOk : kExitFailed;
  }

  std::string key;
  try {
    key = makeKey();
  } catch (const std::exception& e) {
    std::cerr << "keygen: " << e.what() << "\n";
    return kExitFailed;
  }
  const keyward::Digest digest = keyward::sha256(key);
  std::string line = envName.empty() ? key : envName + "=" + key;
  line += '\n';

  int status = kExitOk;
  if (outPath.empty()) {
    std::cout << line;
  } else {
    keyward::AtomicWriteResult written = keyward::writeFileAtomically(outPath, line, 0600, force);
    if (!written.ok) {
      std::cerr << "keygen: " << outPath << ": " << written.problem << "\n";
      status = kExitFailed;
    } else {
      std::cout << "wrote " << outPath << " (fingerprint " << keyward::fingerprint(digest) << ")\n";
    }
  }
  if (status == kExitOk && withDigest) std::cout << "sha256: " << keyward::toHex(digest) << "\n";
  OPENSSL_cleanse(line.data(), line.size());
  OPENSSL_cleanse(key.data(), key.size());
  return status;
}
