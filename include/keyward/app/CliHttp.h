#pragma once
// One HTTP GET from a command-line tool to a keyward daemon (keyward keys, verify, reload).
//
// URLs: http://host:port[/prefix], https://host:port[/prefix] (the certificate is checked
// against the system's CAs, or `caFile`, and the host name), unix:/path/to/keyward.sock
// (keyward's listen_unix socket). Query values must be encoded by the caller
// (cliQueryValue).

#include <functional>
#include <map>
#include <optional>
#include <string>

namespace Poco::Net {
class HTTPRequest;
}

namespace keyward {

struct CliReply {
  int status = 0;
  std::string body;
  std::map<std::string, std::string> headers;  // names lower-cased
};

struct CliTlsOptions {
  std::string caFile;  // PEM bundle to trust instead of the system's CAs (--cacert)
};

// GET `base` + `pathAndQuery`; `prepare` adds headers. nullopt with `problem` set when the
// URL is not usable or the daemon cannot be reached.
std::optional<CliReply> cliGet(const std::string& base, const std::string& pathAndQuery,
                               const std::function<void(Poco::Net::HTTPRequest&)>& prepare, std::string& problem,
                               const CliTlsOptions& tls = {});

// Any method, with a JSON `body` (sent with Content-Length when not empty, or for POST).
std::optional<CliReply> cliSend(const std::string& method, const std::string& base, const std::string& pathAndQuery,
                                const std::string& body, const std::function<void(Poco::Net::HTTPRequest&)>& prepare,
                                std::string& problem, const CliTlsOptions& tls = {});

// `value` percent-encoded for a query string: everything but RFC 3986 unreserved
// characters, so "team+ci" arrives as "team+ci" and not as "team ci".
std::string cliQueryValue(const std::string& value);

// True for the URL forms cliGet understands; otherwise `problem` says what is expected.
bool cliUrlUsable(const std::string& url, std::string& problem);

// The pid of the process that listens on the unix socket of `url` ("unix:/path"), from the
// kernel (SO_PEERCRED on a connection made for the purpose, nothing sent). nullopt with
// `problem` set when it cannot be connected to.
std::optional<long> cliUnixPeerPid(const std::string& url, std::string& problem);

// The environment variable `name`, or "".
std::string cliEnv(const char* name);

// The admin key every client command sends: from `path` (else $KEYWARD_ADMIN_KEY_FILE),
// read through the same checked path as every key file (regular file, not readable by group
// or others, a valid key), else $KEYWARD_ADMIN_KEY. nullopt with `problem` if there is none.
std::optional<std::string> cliAdminKey(const std::string& path, std::string& problem);

}  // namespace keyward
