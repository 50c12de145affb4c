#pragma once
// `keyward keys list|show`: asks a running daemon's admin API and prints what it says, as a
// table a person can read at a glance or as JSON.
//
//   keyward keys list [--status S] [--peer P] [--format table|json]
//   keyward keys show ID [--format table|json]
//   common: --url URL (default $KEYWARD_URL, then http://127.0.0.1:8420; http://, https://
//           or unix:/path), --cacert PATH (https), --admin-key-file PATH (default
//           $KEYWARD_ADMIN_KEY_FILE; or $KEYWARD_ADMIN_KEY); --help, --version (exit 0)
//
// Options as CliOptions parses them (--name=value too). Exit codes: 0 shown, 1 refused or
// not found, 2 usage or connection error.

#include <cstdint>
#include <string>

namespace keyward {

int runKeysCommand(int argc, char** argv);

// "just now", "42 s ago", "3 min ago", "5 h ago", "2 days ago", "in 3 min", ...
std::string relativeTime(std::int64_t whenMs, std::int64_t nowMs);

}  // namespace keyward
