#pragma once
// `keyward scan`: looks for keys in files, directory trees and standard input, for a
// pre-commit hook or a CI step.
//
//   keyward scan [--config FILE | --no-config] PATH...|-
//
// Finds keys in the prefixed format (checksum-verified: no false positive) and, with a
// config (--config, else $KEYWARD_CONFIG, else /etc/keyward/keyward.yaml when readable),
// every configured key of either format, by the SHA-256 of each token of key shape.
// Directories are walked recursively; .git directories, binary files (a NUL byte in the
// first 8 KiB), symbolic links and files over 64 MiB are skipped. Prints file:line, the
// fingerprint and the configured key id — never the key.
// Exit 0 nothing live found, 1 a live key found (a configured key not revoked, or a
// checksum-valid prefixed key that is not a revoked configured key), 2 usage error or an
// unusable config.

namespace keyward {

int runScanCommand(int argc, char** argv);

}  // namespace keyward
