#include "keyward/http/ResponseWriter.h"

#include <charconv>

namespace keyward {

std::string_view ResponseWriter::reasonPhrase(int code) {
  switch (code) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return "Unknown";
  }
}

void ResponseWriter::status(int code) {
  char digits[4];
  std::to_chars(digits, digits + 3, code);
  digits[3] = ' ';
  if (out_.size() != start_) {
    // Headers came first: put the status line (and Date) in front of them.
    std::string line = "HTTP/1.1 ";
    line.append(digits, 4);
    line += reasonPhrase(code);
    line += "\r\n";
    line += date_;
    out_.insert(start_, line);
    return;
  }
  out_ += "HTTP/1.1 ";
  out_.append(digits, 4);
  out_ += reasonPhrase(code);
  out_ += "\r\n";
  out_ += date_;
}

void ResponseWriter::header(std::string_view name, std::string_view value) {
  out_ += name;
  out_ += ": ";
  out_ += value;
  out_ += "\r\n";
}

void ResponseWriter::finish(std::string_view contentType, std::string_view body) {
  char length[24];
  auto [end, ec] = std::to_chars(length, length + sizeof length, body.size());
  if (!contentType.empty()) {
    out_ += "Content-Type: ";
    out_ += contentType;
    out_ += "\r\n";
  }
  out_ += "Content-Length: ";
  out_.append(length, static_cast<std::size_t>(end - length));
  if (!keepAlive_) {
    out_ += "\r\nConnection: close";
  } else if (http10_) {
    out_ += "\r\nConnection: keep-alive";
  }
  out_ += "\r\n\r\n";
  if (!head_) out_ += body;
}

}  // namespace keyward
