#include "keyward/TlsContext.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "keyward/SecretFile.h"

namespace keyward {
namespace {

std::string openSslError(const std::string& what) {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return what;
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return what + ": " + text;
}

}  // namespace

bool TlsContext::load(const std::string& certFile, const std::string& keyFile, bool checkPermissions,
                      std::string& problem) {
  ERR_clear_error();
  std::shared_ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (!ctx) {
    problem = openSslError("cannot create a TLS context");
    return false;
  }
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_mode(ctx.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER |
                                  SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), certFile.c_str()) != 1) {
    problem = openSslError("tls cert_file " + certFile + " is not a usable PEM certificate chain");
    return false;
  }
  // The private key is a secret: read like key files (permissions checked, buffer wiped).
  SecretFileRead read = readSecretFile(keyFile, {checkPermissions, 1u << 20});
  if (!read.ok) {
    problem = "tls key_file " + keyFile + ": " + read.problem;
    return false;
  }
  BIO* bio = BIO_new_mem_buf(read.content.view().data(), static_cast<int>(read.content.view().size()));
  EVP_PKEY* key = bio ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  if (!key) {
    problem = openSslError("tls key_file " + keyFile + " is not a PEM private key");
    return false;
  }
  const bool used = SSL_CTX_use_PrivateKey(ctx.get(), key) == 1;
  EVP_PKEY_free(key);
  if (!used || SSL_CTX_check_private_key(ctx.get()) != 1) {
    problem = openSslError("tls key_file " + keyFile + " does not match cert_file " + certFile);
    return false;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  context_ = std::move(ctx);
  return true;
}

SSL* TlsContext::newConnection(int fd) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (!context_) return nullptr;
  SSL* ssl = SSL_new(context_.get());  // holds its own reference to the context
  if (!ssl) return nullptr;
  SSL_set_fd(ssl, fd);
  SSL_set_accept_state(ssl);
  return ssl;
}

}  // namespace keyward
