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

}  // namespace
}  // namespace keyward
