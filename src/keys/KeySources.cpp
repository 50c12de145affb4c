#include "keyward/keys/KeySources.h"

#include <dirent.h>
#include <openssl/crypto.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>

#include "keyward/base/Names.h"
#include "keyward/base/SecretFile.h"
#include "keyward/keys/KeyText.h"

namespace keyward {
namespace {

constexpr std::size_t kMaxKeyFileBytes = 16384;
constexpr std::size_t kMaxEnvFileBytes = 16u << 20;

using PolicyRef = std::shared_ptr<const KeyPolicy>;

// Validates one key text and, if good, records its digest. The text itself goes no further.
// `problemSource` is only called when there is a problem to report.
template <class DescribeProblem>
void acceptKeyText(std::string_view text, const std::string& id, const std::string& peer, const PolicyRef& policy,
                   std::uint32_t origin, std::uint32_t line, DescribeProblem&& problemSource, SourceLoad& out) {
  if (std::string_view problem = keyTextProblem(text); !problem.empty()) {
    out.problems.push_back({problemSource(), id, std::string(problem)});
    return;
  }
  out.addKey({id, peer, sha256(text), policy}, {origin, line});
}

std::string_view trimLeft(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  return s;
}

// Undoes the quoting .env files use ("value" or 'value'); no escapes inside.
std::string_view unquote(std::string_view value) {
  if (value.size() >= 2 && (value.front() == '"' || value.front() == '\'') && value.back() == value.front()) {
    return value.substr(1, value.size() - 2);
  }
  return value;
}

// Where in the config a value sits, for when the value itself must not be shown:
// "/etc/keyward/keyward.yaml line 7 (keys: file)".
std::string configLocation(const std::string& configPath, int line, std::string_view field) {
  return (configPath.empty() ? std::string("built-in config") : configPath) + " line " + std::to_string(line) + " (" +
         std::string(field) + ")";
}

// "file /run/secrets/worker", or the config location when the path could be a pasted
// secret (see printablePath).
std::string pathSource(std::string_view kind, const std::string& path, const std::string& configPath, int line,
                       std::string_view field) {
  std::string shown = printablePath(path);
  if (shown.empty()) return configLocation(configPath, line, field);
  return std::string(kind) + " " + shown;
}

// An env variable's name is shown unless it could be a pasted key: names are upper case by
// convention, while a random key (43+ base64 characters) is all but certain to hold a
// lower-case letter. A name with one is described by its config location instead.
std::string envSource(const std::string& name, const std::string& configPath, int line) {
  const bool lower = std::any_of(name.begin(), name.end(), [](char c) { return c >= 'a' && c <= 'z'; });
  return lower ? configLocation(configPath, line, "keys: env") : "env " + name;
}

// Values of key variables, moved out of the process environment at their first read.
// Thread-safe (one mutex); the values live in wiped buffers until the process ends.
class EnvironmentVault {
 public:
  std::optional<std::string> lookup(const std::string& name) {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = values_.find(name);
    if (it == values_.end()) {
      char* value = std::getenv(name.c_str());
      if (!value) return std::nullopt;
      const std::size_t size = std::strlen(value);
      SecretBuffer copy(size == 0 ? 1 : size);
      std::memcpy(copy.data(), value, size);
      copy.setSize(size);
      // Wipe the bytes in place first: /proc/PID/environ shows the original block, which
      // unsetenv() alone only unlinks from `environ`.
      OPENSSL_cleanse(value, size);
      ::unsetenv(name.c_str());
      it = values_.emplace(name, std::move(copy)).first;
    }
    return std::string(it->second.view());
  }

 private:
  std::mutex mutex_;
  std::map<std::string, SecretBuffer> values_;
};

}  // namespace

std::uint32_t SourceLoad::addOrigin(std::string description) {
  origins.push_back(std::move(description));
  return static_cast<std::uint32_t>(origins.size() - 1);
}

void SourceLoad::addKey(KeyEntry key, KeyPlace place) {
  keys.push_back(std::move(key));
  places.push_back(place);
}

std::string SourceLoad::describe(std::size_t index) const {
  const KeyPlace& place = places.at(index);
  std::string text = origins.at(place.origin);
  if (place.line > 0) text += " line " + std::to_string(place.line);
  return text;
}

EnvLookup processEnvironment() {
  // One vault per process: every lookup (the daemon's Reloader, --check-config) shares it,
  // so a variable removed from the environment is still found by the next reload.
  static EnvironmentVault* vault = new EnvironmentVault();  // never destroyed: used until exit
  return [](const std::string& name) { return vault->lookup(name); };
}

void loadKeyDecl(const KeyDecl& decl, const std::string& configPath, const EnvLookup& env, SourceLoad& out) {
  const auto policy = std::make_shared<const KeyPolicy>(decl.policy);
  switch (decl.origin) {
    case KeyOrigin::Env: {
      const std::string source = envSource(decl.ref, configPath, decl.line);
      std::optional<std::string> value = env(decl.ref);
      if (!value) {
        out.problems.push_back({source, decl.id, "is not set"});
        return;
      }
      acceptKeyText(
          *value, decl.id, decl.peer, policy, out.addOrigin(source), 0, [&] { return source; }, out);
      OPENSSL_cleanse(value->data(), value->size());
      return;
    }
    case KeyOrigin::File: {
      const std::string source = pathSource("file", decl.ref, configPath, decl.line, "keys: file");
      SecretFileRead read = readSecretFile(decl.ref, {decl.checkPermissions, kMaxKeyFileBytes, true});
      if (!read.ok) {
        out.problems.push_back({source, decl.id, read.problem});
        return;
      }
      acceptKeyText(
          withoutTrailingNewline(read.content.view()), decl.id, decl.peer, policy, out.addOrigin(source), 0,
          [&] { return source; }, out);
      return;
    }
    case KeyOrigin::Sha256: {
      const std::string source = configPath.empty() ? std::string("built-in config") : configPath;
      if (auto digest = digestFromHex(decl.ref)) {
        out.addKey({decl.id, decl.peer, *digest, policy},
                   {out.addOrigin(source), static_cast<std::uint32_t>(decl.line)});
      } else {
        out.problems.push_back(
            {source + " line " + std::to_string(decl.line), decl.id, "sha256 must be 64 hex digits"});
      }
      return;
    }
  }
}

void loadKeyDir(const KeyDirDecl& decl, SourceLoad& out, const std::string& configPath) {
  const bool dirShown = !printablePath(decl.path).empty();
  const std::string source = pathSource("key directory", decl.path, configPath, decl.line, "key_dirs: path");
  const auto policy = std::make_shared<const KeyPolicy>(decl.policy);
  DIR* dir = ::opendir(decl.path.c_str());
  if (!dir) {
    int err = errno;
    out.problems.push_back({source, "",
                            err == ENOENT    ? "does not exist"
                            : err == ENOTDIR ? "is not a directory"
                                             : std::string("cannot be listed (") + std::strerror(err) + ")"});
    return;
  }
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(dir)) {
    // Hidden entries include ".", ".." and Kubernetes' "..data" and "..2024_01_01..." dirs.
    if (entry->d_name[0] != '.') names.emplace_back(entry->d_name);
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  if (names.empty()) {
    out.problems.push_back({source, "", "holds no key files"});
    return;
  }
  for (const std::string& name : names) {
    if (!isValidName(name)) {
      out.problems.push_back({source, "",
                              "has a file whose name is not a valid key id "
                              "(letters, digits and . _ : @ + - only)"});
      continue;
    }
    const std::string path = decl.path + "/" + name;
    SecretFileRead read = readSecretFile(path, {decl.checkPermissions, kMaxKeyFileBytes, true});
    if (!read.ok) {
      // The file's problem, not the directory's (a readable directory with a root-0600 key
      // in it once read "key directory ...: cannot be read"). The path goes to the log only.
      out.problems.push_back({source, name, "has a key file that " + read.problem, dirShown ? "file " + path : ""});
      continue;
    }
    // Names in the directory are valid key ids (checked above), so only the directory's
    // own path decides whether the file's path may be shown.
    const std::string origin = dirShown ? "file " + path : source + " file " + name;
    acceptKeyText(
        withoutTrailingNewline(read.content.view()), name, decl.peer, policy, out.addOrigin(origin), 0,
        [&] { return source; }, out);
  }
}

void loadEnvFile(const EnvFileDecl& decl, SourceLoad& out, const std::string& configPath) {
  const std::string source = pathSource("env file", decl.path, configPath, decl.line, "env_files: path");
  const auto policy = std::make_shared<const KeyPolicy>(decl.policy);
  SecretFileRead read = readSecretFile(decl.path, {decl.checkPermissions, kMaxEnvFileBytes, true});
  if (!read.ok) {
    out.problems.push_back({source, "", read.problem});
    return;
  }
  const std::uint32_t origin = out.addOrigin(source);
  if (decl.names.empty()) {
    // One key per line, nearly always: size the vectors once instead of regrowing them.
    std::string_view all = read.content.view();
    std::size_t lines = static_cast<std::size_t>(std::count(all.begin(), all.end(), '\n')) + 1;
    out.keys.reserve(out.keys.size() + lines);
    out.places.reserve(out.places.size() + lines);
  }
  std::vector<bool> found(decl.names.size(), false);
  std::size_t keysBefore = out.keys.size();
  std::size_t problemsBefore = out.problems.size();
  std::string_view rest = read.content.view();
  for (int lineNo = 1; !rest.empty(); ++lineNo) {
    std::size_t end = rest.find('\n');
    std::string_view line = rest.substr(0, end);
    rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    line = trimLeft(line);
    if (line.empty() || line.front() == '#') continue;
    if (line.substr(0, 7) == "export ") line = trimLeft(line.substr(7));

    auto where = [&] { return source + " line " + std::to_string(lineNo); };
    std::size_t eq = line.find('=');
    if (eq == std::string_view::npos || !isValidEnvName(line.substr(0, eq))) {
      out.problems.push_back({where(), "", "is not a NAME=VALUE line"});
      continue;
    }
    const std::string name(line.substr(0, eq));
    if (!decl.names.empty()) {
      auto it = std::find(decl.names.begin(), decl.names.end(), name);
      if (it == decl.names.end()) continue;
      found[static_cast<std::size_t>(it - decl.names.begin())] = true;
    }
    if (!isValidName(name)) {
      out.problems.push_back(
          {where(), "", "has a name that is not a valid key id (it must start with a letter or digit)"});
      continue;
    }
    acceptKeyText(unquote(line.substr(eq + 1)), name, decl.peer, policy, origin, static_cast<std::uint32_t>(lineNo),
                  where, out);
  }
  for (std::size_t i = 0; i < decl.names.size(); ++i) {
    if (!found[i]) out.problems.push_back({source, decl.names[i], "does not define a variable listed in names"});
  }
  if (out.keys.size() == keysBefore && out.problems.size() == problemsBefore) {
    out.problems.push_back({source, "", "holds no keys"});
  }
}

}  // namespace keyward
