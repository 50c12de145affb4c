#pragma once
// YAML -> Config. Every problem is reported with the file and line; yaml-cpp exceptions
// never escape. Nothing here touches keys: sources are only described, not read.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "keyward/config/Config.h"

namespace keyward {

struct ConfigResult {
  std::optional<Config> config;     // set only when `errors` is empty
  std::vector<std::string> errors;  // "keyward.yaml:12: keys[1]: unknown field 'flie'"
};

// Parses YAML text; `path` is used in messages and stored in Config::path.
ConfigResult parseConfigText(std::string_view yaml, const std::string& path);

// Reads and parses a file (at most 64 MiB).
ConfigResult loadConfigFile(const std::string& path);

// The configuration used when no file is given or found: listen on 127.0.0.1:8420 and take
// one key, id "default", from $AUTH_API_KEY.
Config builtInConfig();

// Picks the config file: `cliPath` if not empty, else $KEYWARD_CONFIG if set and not empty,
// else /etc/keyward/keyward.yaml if it exists, else nullopt (use builtInConfig()).
// chooseConfigPath() with this process's environment and filesystem.
std::optional<std::string> chooseConfigPathForProcess(const std::string& cliPath);

std::optional<std::string> chooseConfigPath(const std::string& cliPath,
                                            const std::function<std::optional<std::string>(const char*)>& getEnv,
                                            const std::function<bool(const std::string&)>& fileExists);

// "1500ms", "5s", "2m", "1h" or a plain number of seconds. nullopt if malformed or negative.
std::optional<Millis> parseDuration(std::string_view text);

}  // namespace keyward
