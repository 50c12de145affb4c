#pragma once
// `keyward leaked`: tells a running daemon a key has leaked (it is suspended at once, and
// stays suspended across reloads and restarts), lists the suspensions, or clears one.
//
//   keyward leaked --key-file PATH [--leak-url URL] [--source S]   POST /v1/leaks
//   keyward leaked --list                                          GET /v1/leaks
//   keyward leaked --clear ID|FINGERPRINT                          DELETE /v1/leaks/ID
//   common: --url URL (default $KEYWARD_URL, then http://127.0.0.1:8420), --cacert PATH,
//           --admin-key-file PATH (default $KEYWARD_ADMIN_KEY_FILE; or $KEYWARD_ADMIN_KEY)
//
// Reporting needs scope admin or leaks:report; listing and clearing need admin. The
// leaked key is read from the file (one line) and sent only to the daemon; never printed.
// Exit 0 done, 1 refused or nothing to clear, 2 usage or connection error.

namespace keyward {

int runLeakedCommand(int argc, char** argv);

}  // namespace keyward
