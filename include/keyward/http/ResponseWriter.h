#pragma once
// Appends one HTTP/1.1 response to an output buffer: status line, Date, the caller's
// headers, Content-Type/Length, Connection, then the body (left out for HEAD).
// Not thread-safe; one per event loop.

#include <string>
#include <string_view>

namespace keyward {

class ResponseWriter {
 public:
  // `dateHeader` is a complete "Date: ...\r\n" line, refreshed by the loop once a second.
  ResponseWriter(std::string& out, std::string_view dateHeader) : out_(out), date_(dateHeader), start_(out.size()) {}

  // Set by the server before the handler runs.
  void prepare(bool headRequest, bool keepAlive, bool http10) {
    head_ = headRequest;
    keepAlive_ = keepAlive;
    http10_ = http10;
    start_ = out_.size();
  }
  // The handler may ask for the connection to be closed after this response.
  void closeConnection() { keepAlive_ = false; }
  bool keepAlive() const { return keepAlive_; }

  // The status line always comes first in the output: a header written before status()
  // is moved behind it.
  void status(int code);
  void header(std::string_view name, std::string_view value);
  // Ends the head and appends the body. Call exactly once per response, after status().
  // An empty contentType writes no Content-Type (an answer without a body must not claim
  // one); Content-Length is always written.
  void finish(std::string_view contentType, std::string_view body);

  static std::string_view reasonPhrase(int code);

 private:
  std::string& out_;
  std::string_view date_;
  bool head_ = false;
  bool keepAlive_ = true;
  bool http10_ = false;
  std::size_t start_ = 0;  // where this response begins in out_
};

}  // namespace keyward
