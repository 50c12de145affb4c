#include "keyward/CliHttp.h"

#include <Poco/Exception.h>
#include <Poco/Net/HTTPClientSession.h>
#include <Poco/Net/HTTPRequest.h>
#include <Poco/Net/HTTPResponse.h>
#include <Poco/StreamCopier.h>
#include <Poco/URI.h>

#include <cctype>

namespace keyward {

std::optional<CliReply> cliGet(const std::string& base, const std::string& pathAndQuery,
                               const std::function<void(Poco::Net::HTTPRequest&)>& prepare, std::string& problem) {
  try {
    Poco::URI uri(base);
    if (uri.getScheme() != "http") {
      problem = "only http:// URLs are supported: " + base;
      return std::nullopt;
    }
    Poco::Net::HTTPClientSession session(uri.getHost(), uri.getPort());
    session.setTimeout(Poco::Timespan(10, 0));
    std::string prefix = uri.getPath();
    while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
    Poco::Net::HTTPRequest request(Poco::Net::HTTPRequest::HTTP_GET, prefix + pathAndQuery,
                                   Poco::Net::HTTPMessage::HTTP_1_1);
    prepare(request);
    session.sendRequest(request);
    Poco::Net::HTTPResponse response;
    std::istream& in = session.receiveResponse(response);
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
    problem = e.what();
    return std::nullopt;
  }
}

}  // namespace keyward
