#include "keyward/app/ScanCommand.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>
#include <string>
#include <vector>

#include "keyward/app/CliOptions.h"
#include "keyward/config/ConfigLoader.h"
#include "keyward/keys/KeyLoader.h"
#include "keyward/keys/LeakScanner.h"

namespace keyward {
namespace {

constexpr int kClean = 0, kFound = 1, kError = 2;
constexpr std::uintmax_t kMaxFileBytes = 64u << 20;
constexpr const char* kDefaultConfig = "/etc/keyward/keyward.yaml";

struct Scan {
  const KeySet* keys = nullptr;
  std::size_t live = 0;
  std::size_t files = 0;
  bool failed = false;

  void text(const std::string& name, std::string_view content) {
    ++files;
    scanText(content, keys, [&](const LeakFinding& f) {
      std::cout << name << ":" << f.line << ": ";
      std::cout << (f.prefix.empty() ? "key" : "prefixed key " + f.prefix + "_...") << " fingerprint " << f.fingerprint;
      if (!f.keyId.empty()) {
        std::cout << " configured key '" << f.keyId << "'" << (f.revoked ? " (revoked: not live)" : "");
      } else if (keys) {
        std::cout << " (not in the config)";
      }
      std::cout << "\n";
      if (!f.revoked) ++live;
    });
  }

  void file(const std::filesystem::path& path) {
    std::error_code error;
    const std::uintmax_t size = std::filesystem::file_size(path, error);
    if (error || size > kMaxFileBytes) {
      if (!error) std::cerr << "keyward scan: " << path.string() << ": skipped (larger than 64 MiB)\n";
      return;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      std::cerr << "keyward scan: " << path.string() << ": cannot read\n";
      failed = true;
      return;
    }
    std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (looksBinary(std::string_view(content).substr(0, 8192))) return;
    text(path.string(), content);
  }

  void path(const std::string& arg) {
    std::error_code error;
    const auto status = std::filesystem::symlink_status(arg, error);
    if (error) {
      std::cerr << "keyward scan: " << arg << ": " << error.message() << "\n";
      failed = true;
      return;
    }
    if (std::filesystem::is_regular_file(status) ||
        (std::filesystem::is_symlink(status) && std::filesystem::is_regular_file(arg, error))) {
      return file(arg);  // a path named on the command line is followed
    }
    if (!std::filesystem::is_directory(status)) return;
    std::filesystem::recursive_directory_iterator it(arg, std::filesystem::directory_options::skip_permission_denied,
                                                     error);
    for (; !error && it != std::filesystem::recursive_directory_iterator(); it.increment(error)) {
      const auto& entry = *it;
      if (entry.is_directory() && entry.path().filename() == ".git") {
        it.disable_recursion_pending();
        continue;
      }
      if (entry.is_symlink() || !entry.is_regular_file()) continue;
      file(entry.path());
    }
    if (error) {
      std::cerr << "keyward scan: " << arg << ": " << error.message() << "\n";
      failed = true;
    }
  }
};

}  // namespace

int runScanCommand(int argc, char** argv) {
  std::string configPath;
  bool noConfig = false;
  CliOptions cli("keyward scan", "keyward scan [--config FILE | --no-config] PATH...|-",
                 "Finds prefixed keys (keygen --prefix; checksum-verified) and, with a config, every configured\n"
                 "key by its digest, in files, directories (recursive; .git and binary files skipped) and\n"
                 "standard input ('-'). Prints file:line, fingerprint and key id, never the key.\n"
                 "The config is --config, else $KEYWARD_CONFIG, else /etc/keyward/keyward.yaml if readable.\n"
                 "Exit status: 0 nothing live found, 1 a live key found, 2 usage error or unusable config.");
  cli.value("config", configPath, "FILE", "match the keys of this config by digest")
      .flag("no-config", noConfig, "find prefixed keys only");
  std::vector<std::string> args(argv + 1, argv + argc), paths;
  if (auto exit = cli.parse(args, paths)) return *exit;
  if (paths.empty()) return cli.usageError("name at least one PATH, or - for standard input");
  if (noConfig && !configPath.empty()) return cli.usageError("--config and --no-config exclude each other");

  bool explicitConfig = !configPath.empty();
  if (!noConfig && configPath.empty()) {
    if (const char* env = std::getenv("KEYWARD_CONFIG"); env && *env) {
      configPath = env;
      explicitConfig = true;
    } else if (::access(kDefaultConfig, R_OK) == 0) {
      configPath = kDefaultConfig;
    }
  }
  std::shared_ptr<const KeySet> keys;
  if (!configPath.empty()) {
    ConfigResult parsed = loadConfigFile(configPath);
    std::string problem;
    if (!parsed.config) {
      problem = parsed.errors.empty() ? "invalid" : parsed.errors.front();
    } else {
      KeyLoadResult loaded = loadKeys(*parsed.config, processEnvironment());
      if (loaded.keys) {
        keys = loaded.keys;
      } else {
        problem = loaded.problems.empty() ? "its keys cannot be read" : loaded.problems.front().text();
      }
    }
    if (!keys) {
      std::cerr << "keyward scan: " << configPath << ": " << problem << "\n";
      if (explicitConfig) return kError;
      std::cerr << "keyward scan: going on without it: prefixed keys only\n";
    }
  }

  Scan scan;
  scan.keys = keys.get();
  for (const std::string& path : paths) {
    if (path == "-") {
      std::string content((std::istreambuf_iterator<char>(std::cin)), std::istreambuf_iterator<char>());
      scan.text("(stdin)", content);
    } else {
      scan.path(path);
    }
  }
  if (scan.live > 0) {
    std::cerr << "keyward scan: " << scan.live << " live key" << (scan.live == 1 ? "" : "s")
              << " found: remove, then rotate (keyward leaked --key-file suspends one at once)\n";
    return kFound;
  }
  return scan.failed ? kError : kClean;
}

}  // namespace keyward
