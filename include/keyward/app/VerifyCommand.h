#pragma once
// `keyward verify`: asks a keyward daemon whether a key is accepted, for shell health
// checks and CI gates.
//
//   keyward verify --url URL (--key-file PATH | --key-env NAME) [--peer P] [--scope S] [--cacert PATH]
//
// URL is the daemon (http://127.0.0.1:8420) or its verify endpoint. Prints one line (key
// id and peer, or the refusal code; never the key). Exit 0 accepted, 1 refused (401/403),
// 2 anything else: usage, unreadable key, daemon unreachable, or an answer without keyward's
// X-Keyward-* headers and JSON (another server at that URL). --help, --version: exit 0.

namespace keyward {

int runVerifyCommand(int argc, char** argv);

}  // namespace keyward
