#pragma once
// `keyward reload`: SIGHUP a running keyward and wait until it has acted on it, for
// systemd's ExecReload= and scripts. Unlike `kill -HUP`, it returns only when the reload has
// been applied or refused, and says which.
//
//   keyward reload --pid PID [--url URL | --config PATH] [--timeout SECONDS]
//
// The daemon's address comes from --url, else from the config's `listen` (the config is
// found as the daemon finds it). Exit 0 applied, 1 refused (old keys still serving; the
// problems are printed), 2 usage error, daemon unreachable or no answer in time.

namespace keyward {

int runReloadCommand(int argc, char** argv);

}  // namespace keyward
