#include "keyward/app/CliHttp.h"

#include <Poco/Exception.h>
#include <Poco/Net/Context.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/Net/HTTPSClientSession.h>
#include <Poco/Net/RejectCertificateHandler.h>
#include <Poco/Net/SSLManager.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <memory>

#include "keyward/Client.h"

namespace keyward {
namespace {

constexpr const char* kUnixPrefix = "unix:";

std::unique_ptr<Poco::Net::HTTPClientSession> sessionFor(const std::string& base, const CliTlsOptions& tls,
                                                         std::string& prefix) {
  if (base.rfind(kUnixPrefix, 0) == 0) {
    const std::string path = base.substr(std::string(kUnixPrefix).size());
    Poco::Net::StreamSocket socket;
    socket.connect(Poco::Net::SocketAddress(Poco::Net::SocketAddress::UNIX_LOCAL, path), Poco::Timespan(10, 0));
    prefix.clear();
    return std::make_unique<Poco::Net::HTTPClientSession>(socket);
  }
  Poco::URI uri(base);
  prefix = uri.getPath();
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  if (uri.getScheme() == "https") {
    // Verify the chain (system CAs, or --cacert) and the host name; never ask a person.
    Poco::Net::Context::Ptr context = new Poco::Net::Context(Poco::Net::Context::TLS_CLIENT_USE, "", "", tls.caFile,
                                                             Poco::Net::Context::VERIFY_RELAXED, 9, tls.caFile.empty());
    context->requireMinimumProtocol(Poco::Net::Context::PROTO_TLSV1_2);
    // An unverifiable certificate is refused, never put to a person (once per process).
    static const bool handlerSet = [&] {
      Poco::Net::SSLManager::instance().initializeClient(nullptr, new Poco::Net::RejectCertificateHandler(false),
                                                         context);
      return true;
    }();
    (void)handlerSet;
    return std::make_unique<Poco::Net::HTTPSClientSession>(uri.getHost(), uri.getPort(), context);
  }
  return std::make_unique<Poco::Net::HTTPClientSession>(uri.getHost(), uri.getPort());
}

}  // namespace

bool cliUrlUsable(const std::string& url, std::string& problem) {
  if (url.rfind(kUnixPrefix, 0) == 0) {
    if (url.size() > 5 && url[5] == '/') return true;
    problem = "a unix socket URL is unix:/absolute/path (got " + url + ")";
    return false;
  }
  try {
    Poco::URI uri(url);
    if ((uri.getScheme() == "http" || uri.getScheme() == "https") && !uri.getHost().empty()) return true;
  } catch (const Poco::Exception&) {
  }
  problem = "the URL must be http://host:port, https://host:port or unix:/path/to/socket (got " + url + ")";
  return false;
}

std::string cliQueryValue(const std::string& value) {
  static const char* kHex = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : value) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::optional<CliReply> cliGet(const std::string& base, const std::string& pathAndQuery,
                               const std::function<void(Poco::Net::HTTPRequest&)>& prepare, std::string& problem,
                               const CliTlsOptions& tls) {
  return cliSend("GET", base, pathAndQuery, {}, prepare, problem, tls);
}

std::optional<CliReply> cliSend(const std::string& method, const std::string& base, const std::string& pathAndQuery,
                                const std::string& body, const std::function<void(Poco::Net::HTTPRequest&)>& prepare,
                                std::string& problem, const CliTlsOptions& tls) {
  if (!cliUrlUsable(base, problem)) return std::nullopt;
  try {
    std::string prefix;
    std::unique_ptr<Poco::Net::HTTPClientSession> session = sessionFor(base, tls, prefix);
    session->setTimeout(Poco::Timespan(10, 0));
    Poco::Net::HTTPRequest request(method, prefix + pathAndQuery, Poco::Net::HTTPMessage::HTTP_1_1);
    if (base.rfind(kUnixPrefix, 0) == 0) request.setHost("localhost");
    if (!body.empty() || method == "POST") {
      request.setContentLength(static_cast<std::streamsize>(body.size()));
      request.setContentType("application/json");
    }
    prepare(request);
    session->sendRequest(request) << body;
    Poco::Net::HTTPResponse response;
    std::istream& in = session->receiveResponse(response);
    CliReply reply;
    reply.status = response.getStatus();
    for (const auto& [name, value] : response) {
      std::string lower = name;
      for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      reply.headers[lower] = value;
    }
    Poco::StreamCopier::copyToString(in, reply.body);
    return reply;
  } catch (const Poco::Exception& e) {
    problem = "cannot reach keyward at " + base + ": " + e.displayText();
    return std::nullopt;
  } catch (const std::exception& e) {
    problem = "cannot reach keyward at " + base + ": " + e.what();
    return std::nullopt;
  }
}

std::optional<long> cliUnixPeerPid(const std::string& url, std::string& problem) {
  const std::string path = url.rfind(kUnixPrefix, 0) == 0 ? url.substr(5) : url;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof address.sun_path) {
    problem = "not a unix socket path: " + path;
    return std::nullopt;
  }
  std::memcpy(address.sun_path, path.data(), path.size());
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) {
    problem = std::string("socket: ") + std::strerror(errno);
    return std::nullopt;
  }
  std::optional<long> pid;
  ucred peer{};
  socklen_t size = sizeof peer;
  if (::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    problem = "cannot connect to " + path + ": " + std::strerror(errno);
  } else if (::getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &peer, &size) != 0 || peer.pid <= 0) {
    problem = "the kernel does not say which process listens on " + path;
  } else {
    pid = peer.pid;
  }
  ::close(fd);
  return pid;
}

std::string cliEnv(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

std::optional<std::string> cliAdminKey(const std::string& path, std::string& problem) {
  const std::string file = path.empty() ? cliEnv("KEYWARD_ADMIN_KEY_FILE") : path;
  if (file.empty()) {
    std::string key = cliEnv("KEYWARD_ADMIN_KEY");
    if (key.empty()) problem = "no admin key: use --admin-key-file, KEYWARD_ADMIN_KEY_FILE or KEYWARD_ADMIN_KEY";
    if (key.empty()) return std::nullopt;
    return key;
  }
  try {
    return ClientKey::fromFile(file).current();
  } catch (const std::exception& e) {
    problem = std::string("admin key: ") + e.what();
    return std::nullopt;
  }
}

}  // namespace keyward
