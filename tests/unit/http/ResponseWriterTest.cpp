#include <gtest/gtest.h>

#include "keyward/http/ResponseWriter.h"

namespace keyward {
namespace {

// The admin API's 405 once wrote "Allow:" before the status line.
TEST(ResponseWriter, TheStatusLineComesFirstEvenIfAHeaderWasWrittenBeforeIt) {
  std::string out = "previous response bytes";
  ResponseWriter writer(out, "Date: x\r\n");
  writer.prepare(false, true, false);
  writer.header("Allow", "GET, HEAD");
  writer.status(405);
  writer.finish("application/json", "{}");
  EXPECT_EQ(out,
            "previous response bytes"
            "HTTP/1.1 405 Method Not Allowed\r\nDate: x\r\nAllow: GET, HEAD\r\n"
            "Content-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
}

// Headers-only answers for proxies (nginx auth_request, Caddy forward_auth) once claimed
// "Content-Type: application/json" with an empty body.
TEST(ResponseWriter, NoContentTypeWithoutOne) {
  std::string out;
  ResponseWriter writer(out, "Date: x\r\n");
  writer.prepare(false, false, false);
  writer.status(429);
  writer.finish({}, {});
  EXPECT_EQ(out, "HTTP/1.1 429 Too Many Requests\r\nDate: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
}

}  // namespace
}  // namespace keyward
