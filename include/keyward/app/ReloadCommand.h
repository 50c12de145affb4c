#pragma once
// `keyward reload`: SIGHUP a running keyward and wait until it has acted on it, for
// systemd's ExecReload= and scripts. Unlike `kill -HUP`, it returns only when the reload has
// been applied or refused, and says which.
//
//   keyward reload (--pid PID [--url URL | --config PATH] | --config PATH) [--timeout SECONDS]
//
// The daemon's address comes from --url, else from the config's `listen` (the config is
// found as the daemon finds it). Nothing is signalled unless the daemon answering there is
// the one meant: its /v1/status pid is PID and its config is --config (each checked when
// both sides are known). Without --pid, the pid is the one /v1/status reports, if that
// daemon serves --config and /proc names the process keyward. The kernel must say that PID
// holds the listening socket at the URL (not the daemon's word): as root, one of PID's fds
// is that socket; otherwise (keyward is not dumpable: its fds are root's only) a LISTEN
// socket at that address and port, owned by PID's uid (/proc/self/net/tcp{,6},
// /proc/PID/status); for unix: URLs, the peer pid (SO_PEERCRED). When that cannot be told,
// nothing is signalled (fail closed). A non-root caller cannot tell the daemon from another
// process of the same uid. A daemon with status_scope needs --key-file, which is sent only
// after that check. --check makes every check and signals nothing (exit 0 match, 2 not).
// Messages name the URL polled and where it came from.
// Exit 0 applied, 1 refused (old keys still serving; the problems are printed), 2 usage
// error, wrong or unreachable daemon, PID gone, or no answer in time.

namespace keyward {

int runReloadCommand(int argc, char** argv);

// `keyward reload --dry-run [--config PATH] [--url URL] [--admin-key-file PATH] [--cacert PATH]`:
// loads the config aside (as the daemon would), fetches the recent calls the daemon holds
// through its admin API (a key with scope admin), replays them against the new config
// (DryRun.h) and prints every decision that would flip and every key whose peer or scopes
// would change. Nothing is signalled or applied. Exit 0 nothing would flip, 1 something
// would (or the new config is invalid: its problems are printed), 2 usage or connection
// error.
int runReloadDryRun(int argc, char** argv);

}  // namespace keyward
