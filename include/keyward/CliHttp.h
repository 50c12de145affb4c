#pragma once
// One HTTP GET from a command-line tool to a keyward daemon (keyward keys, keyward verify).

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

// GET `base` (scheme://host:port[/prefix]) + `pathAndQuery`; `prepare` adds headers.
// nullopt with `problem` set when the daemon cannot be reached.
std::optional<CliReply> cliGet(const std::string& base, const std::string& pathAndQuery,
                               const std::function<void(Poco::Net::HTTPRequest&)>& prepare, std::string& problem);

}  // namespace keyward
