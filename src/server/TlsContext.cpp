#include "keyward/server/TlsContext.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>

#include "keyward/base/SecretFile.h"

namespace keyward {
namespace {

// TLS 1.2 suites: ECDHE only (forward secrecy) and AEAD only (no CBC, no SHA-1 MAC).
// TLS 1.3 suites are all AEAD with ephemeral keys already; OpenSSL's default stays.
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

constexpr std::size_t kMaxCertificateBytes = 1u << 20;

std::string openSslError(const std::string& what) {
  unsigned long code = ERR_get_error();
  ERR_clear_error();
  if (code == 0) return what;
  char text[256];
  ERR_error_string_n(code, text, sizeof text);
  return what + ": " + text;
}

// "tls cert_file /etc/keyward/tls.crt", or where it is configured when the path could be a
// pasted secret.
std::string describe(const char* field, const std::string& path, const std::string& configPath) {
  std::string shown = printablePath(path);
  if (!shown.empty()) return std::string("tls ") + field + " " + shown;
  return std::string("tls ") + field + " (set in " + (configPath.empty() ? std::string("the config") : configPath) +
         ", section tls)";
}

// SSL_CTX_use_certificate_chain_file() from memory, so the file is read by readPlainFile
// (non-blocking, regular files only) rather than by OpenSSL's blocking fopen().
bool useCertificateChain(SSL_CTX* ctx, const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  if (!bio) return false;
  X509* leaf = PEM_read_bio_X509_AUX(bio, nullptr, nullptr, nullptr);
  bool ok = leaf && SSL_CTX_use_certificate(ctx, leaf) == 1 && SSL_CTX_clear_chain_certs(ctx) == 1;
  X509_free(leaf);
  while (ok) {
    X509* next = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
    if (!next) {
      // The end of the data is expected; any other error is a broken chain.
      const unsigned long err = ERR_peek_last_error();
      if (ERR_GET_LIB(err) == ERR_LIB_PEM && ERR_GET_REASON(err) == PEM_R_NO_START_LINE)
        ERR_clear_error();
      else
        ok = false;
      break;
    }
    if (SSL_CTX_add0_chain_cert(ctx, next) != 1) {  // takes ownership on success
      X509_free(next);
      ok = false;
    }
  }
  BIO_free(bio);
  return ok;
}

}  // namespace

bool TlsContext::load(const std::string& certFile, const std::string& keyFile, bool checkPermissions,
                      std::string& problem, const std::string& configPath) {
  ERR_clear_error();
  std::shared_ptr<SSL_CTX> ctx(SSL_CTX_new(TLS_server_method()), SSL_CTX_free);
  if (!ctx) {
    problem = openSslError("cannot create a TLS context");
    return false;
  }
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_mode(ctx.get(),
                   SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
  if (SSL_CTX_set_cipher_list(ctx.get(), kTls12Ciphers) != 1) {
    problem = openSslError("cannot restrict the TLS 1.2 cipher suites");
    return false;
  }
  PlainFileRead cert = readPlainFile(certFile, kMaxCertificateBytes);
  if (!cert.ok) {
    problem = describe("cert_file", certFile, configPath) + ": " + cert.problem;
    return false;
  }
  if (!useCertificateChain(ctx.get(), cert.content)) {
    problem = openSslError(describe("cert_file", certFile, configPath) + " is not a usable PEM certificate chain");
    return false;
  }
  // The private key is a secret: read like key files (permissions checked, buffer wiped).
  SecretFileRead read = readSecretFile(keyFile, {checkPermissions, kMaxCertificateBytes, true});
  if (!read.ok) {
    problem = describe("key_file", keyFile, configPath) + ": " + read.problem;
    return false;
  }
  BIO* bio = BIO_new_mem_buf(read.content.view().data(), static_cast<int>(read.content.view().size()));
  EVP_PKEY* key = bio ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr) : nullptr;
  BIO_free(bio);
  if (!key) {
    problem = openSslError(describe("key_file", keyFile, configPath) + " is not a PEM private key");
    return false;
  }
  const bool used = SSL_CTX_use_PrivateKey(ctx.get(), key) == 1;
  EVP_PKEY_free(key);
  if (!used || SSL_CTX_check_private_key(ctx.get()) != 1) {
    problem = openSslError(describe("key_file", keyFile, configPath) + " does not match " +
                           describe("cert_file", certFile, configPath).substr(4));
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
