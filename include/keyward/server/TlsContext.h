#pragma once
// The HTTPS side: an OpenSSL server context built from a certificate chain and a private
// key file, TLS 1.2 and later only; TLS 1.2 offers only ECDHE key exchange with AEAD
// ciphers (forward secrecy, no CBC). Replaced on reload only if the new files load and
// match; a bad certificate keeps the old context serving. New connections take the
// context current at their accept; open ones keep theirs.
// Thread-safe: load() (reload thread) and newConnection() (event loops) may race.

#include <memory>
#include <mutex>
#include <string>

typedef struct ssl_ctx_st SSL_CTX;
typedef struct ssl_st SSL;

namespace keyward {

class TlsContext {
 public:
  // Loads `certFile` (PEM chain) and `keyFile` (PEM private key; refused if group or others
  // may read it, unless `checkPermissions` is false). Both are opened without blocking and
  // must be regular files. False with `problem` if anything is wrong; the current context,
  // if any, stays. `problem` names a path only if it cannot be a pasted secret, else the
  // field in `configPath` (see printablePath).
  bool load(const std::string& certFile, const std::string& keyFile, bool checkPermissions, std::string& problem,
            const std::string& configPath = {});
  // A new server-side SSL for an accepted connection, or nullptr if no context is loaded.
  SSL* newConnection(int fd) const;

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<SSL_CTX> context_;
};

}  // namespace keyward
