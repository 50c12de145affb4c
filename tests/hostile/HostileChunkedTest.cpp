// One request, one answer: a chunked body is stepped over and checked before the request is
// answered (the audit saw a 200 sent at the head, then a second, unsolicited 400/413 for the
// same request, which desynchronises a client reusing the connection). Every case reads the
// connection until the server closes it (or a timeout) and counts the answers on it.

#include <gtest/gtest.h>
#include <poll.h>
#include <sys/socket.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "support/Keyward.h"
#include "support/TestHttp.h"

namespace keyward::test {
namespace {

using namespace std::chrono_literals;

// Every byte the server sends until it closes the connection, or until `timeout` passes.
std::string readUntilClosed(int fd, std::chrono::milliseconds timeout, bool* closed = nullptr) {
  std::string all;
  const auto end = std::chrono::steady_clock::now() + timeout;
  if (closed) *closed = false;
  while (true) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(end - std::chrono::steady_clock::now());
    if (left.count() <= 0) return all;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return all;
    char buffer[4096];
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) {
      if (closed) *closed = true;
      return all;
    }
    all.append(buffer, static_cast<std::size_t>(n));
  }
}

struct Answer {
  int status = 0;
  bool close = false;
};

// Splits a byte stream into Content-Length framed answers; a trailing fragment that is not a
// whole answer counts as one with status -1, so stray bytes are never missed.
std::vector<Answer> answersIn(const std::string& bytes) {
  std::vector<Answer> answers;
  std::size_t pos = 0;
  while (pos < bytes.size()) {
    const std::size_t headEnd = bytes.find("\r\n\r\n", pos);
    if (bytes.compare(pos, 9, "HTTP/1.1 ") != 0 || headEnd == std::string::npos) {
      answers.push_back({-1, false});
      return answers;
    }
    const std::string head = bytes.substr(pos, headEnd + 4 - pos);
    Answer a;
    a.status = std::atoi(head.c_str() + 9);
    a.close = head.find("\r\nConnection: close\r\n") != std::string::npos;
    const std::size_t cl = head.find("\r\nContent-Length: ");
    const std::size_t length = cl == std::string::npos ? 0 : std::stoul(head.substr(cl + 18));
    pos = headEnd + 4 + length;
    if (pos > bytes.size()) a.status = -1;
    answers.push_back(a);
  }
  return answers;
}

std::string statuses(const std::vector<Answer>& answers) {
  std::string text;
  for (const Answer& a : answers) text += std::to_string(a.status) + " ";
  return text;
}

// No byte from the server within `wait`: nothing was answered early.
bool silentFor(int fd, std::chrono::milliseconds wait) {
  pollfd p{fd, POLLIN, 0};
  return ::poll(&p, 1, static_cast<int>(wait.count())) == 0;
}

class HostileChunked : public ::testing::Test {
 protected:
  void SetUp() override {
    key = newKey();
    // Default limits (max_body_bytes 1024), a short header timeout for the slow-sender cases.
    kw = std::make_unique<Keyward>("limits: { header_timeout: 2s }\nkeys:\n  - { id: a, env: K }\n", Env{{"K", key}});
    ASSERT_TRUE(kw->daemon().waitUntilServing()) << kw->output();
  }
  std::string head(const std::string& extra = "") const {
    return "POST /v1/verify HTTP/1.1\r\nHost: x\r\nX-API-Key: " + key + "\r\n" + extra +
           "Transfer-Encoding: chunked\r\n\r\n";
  }
  std::string get(const std::string& extra = "") const {
    return "GET /v1/verify HTTP/1.1\r\nHost: x\r\nX-API-Key: " + key + "\r\n" + extra + "\r\n";
  }
  std::string key;
  std::unique_ptr<Keyward> kw;
};

TEST_F(HostileChunked, ABadBodyGetsOneRefusalAndNo200) {
  struct Case {
    const char* why;
    std::string body;
    int status;
  };
  const std::vector<Case> cases = {
      {"chunk extension (the audit's example)", "5;ext\r\nhello\r\n0\r\n\r\n", 400},
      {"chunk extension with a value", "5;a=b\r\nhello\r\n0\r\n\r\n", 400},
      {"trailer field", "5\r\nhello\r\n0\r\nX-Trailer: 1\r\n\r\n", 400},
      {"bare LF after the size", "5\nhello\r\n0\r\n\r\n", 400},
      {"bare LF after the data", "5\r\nhello\n0\r\n\r\n", 400},
      {"a sign before the size", "+5\r\nhello\r\n0\r\n\r\n", 400},
      {"a 0x prefix", "0x5\r\nhello\r\n0\r\n\r\n", 400},
      {"a space after the size", "5 \r\nhello\r\n0\r\n\r\n", 400},
      {"chunk data longer than its size", "2\r\nhello\r\n0\r\n\r\n", 400},
      {"a size over max_body_bytes (2048 > 1024)", "800\r\n", 413},
      {"a size past 64 bits", "fffffffffffffffff\r\n", 413},
      {"chunks adding up past max_body_bytes", "200\r\n" + std::string(512, 'a') + "\r\n201\r\n", 413},
  };
  for (const Case& c : cases) {
    for (bool pipelined : {false, true}) {
      HttpConnection conn(kw->port());
      ASSERT_TRUE(conn.sendRaw(head() + c.body + (pipelined ? get() : "")));
      bool closed = false;
      const auto answers = answersIn(readUntilClosed(conn.fd(), 5s, &closed));
      ASSERT_EQ(answers.size(), 1u) << c.why << " pipelined=" << pipelined << ": " << statuses(answers);
      EXPECT_EQ(answers[0].status, c.status) << c.why;
      EXPECT_TRUE(answers[0].close) << c.why << ": the connection cannot be framed any more";
      EXPECT_TRUE(closed) << c.why;
    }
  }
  EXPECT_EQ(kw->verifyStatus(key), 200);
}

TEST_F(HostileChunked, AGoodBodyGetsOneAnswerAndFramesTheNextRequest) {
  // All at once, then a pipelined request that closes the connection: exactly two answers.
  {
    HttpConnection conn(kw->port());
    ASSERT_TRUE(conn.sendRaw(head() + "5\r\nhello\r\n0000\r\n\r\n" + get("Connection: close\r\n")));
    bool closed = false;
    const auto answers = answersIn(readUntilClosed(conn.fd(), 5s, &closed));
    ASSERT_EQ(answers.size(), 2u) << statuses(answers);
    EXPECT_EQ(answers[0].status, 200);
    EXPECT_EQ(answers[1].status, 200) << "the body was framed exactly";
    EXPECT_TRUE(closed);
  }
  // The answer waits for the body: none while it arrives, slowly and split at every kind of
  // boundary (within the header timeout), then one.
  {
    HttpConnection conn(kw->port());
    const std::vector<std::string> pieces = {head(), "5", "\r", "\nhel", "lo\r", "\n3\r\nabc", "\r\n0\r", "\n\r"};
    for (const std::string& piece : pieces) {
      ASSERT_TRUE(conn.sendRaw(piece));
      EXPECT_TRUE(silentFor(conn.fd(), 100ms)) << "answered before the body was checked, after: " << piece;
    }
    ASSERT_TRUE(conn.sendRaw("\n" + get() + get("Connection: close\r\n")));
    bool closed = false;
    const auto answers = answersIn(readUntilClosed(conn.fd(), 5s, &closed));
    ASSERT_EQ(answers.size(), 3u) << statuses(answers);
    for (const Answer& a : answers) EXPECT_EQ(a.status, 200);
    EXPECT_TRUE(closed);
  }
  // A body that turns bad after a slow start: still one answer, the refusal.
  {
    HttpConnection conn(kw->port());
    ASSERT_TRUE(conn.sendRaw(head() + "5\r\nhel"));
    EXPECT_TRUE(silentFor(conn.fd(), 200ms));
    ASSERT_TRUE(conn.sendRaw("lo\r\n1;x\r\n"));
    bool closed = false;
    const auto answers = answersIn(readUntilClosed(conn.fd(), 5s, &closed));
    ASSERT_EQ(answers.size(), 1u) << statuses(answers);
    EXPECT_EQ(answers[0].status, 400);
    EXPECT_TRUE(closed);
  }
}

// A client that waits for "100 Continue" before sending its body (curl does, for large
// ones) gets it, then the one final answer once the body is checked.
TEST_F(HostileChunked, ExpectContinueGetsAnInterimAnswerThenOne) {
  HttpConnection conn(kw->port());
  ASSERT_TRUE(conn.sendRaw(head("Expect: 100-continue\r\n")));
  const std::string interim = "HTTP/1.1 100 Continue\r\n\r\n";
  std::string got;
  while (got.size() < interim.size()) {
    pollfd p{conn.fd(), POLLIN, 0};
    ASSERT_EQ(::poll(&p, 1, 3000), 1) << "no 100 Continue: " << got;
    char buffer[256];
    const ssize_t n = ::recv(conn.fd(), buffer, interim.size() - got.size(), 0);
    ASSERT_GT(n, 0) << got;
    got.append(buffer, static_cast<std::size_t>(n));
  }
  EXPECT_EQ(got, interim);
  ASSERT_TRUE(conn.sendRaw("5\r\nhello\r\n0\r\n\r\n" + get("Connection: close\r\n")));
  bool closed = false;
  const auto answers = answersIn(readUntilClosed(conn.fd(), 5s, &closed));
  ASSERT_EQ(answers.size(), 2u) << statuses(answers);
  EXPECT_EQ(answers[0].status, 200);
  EXPECT_EQ(answers[1].status, 200);
  EXPECT_TRUE(closed);
}

TEST_F(HostileChunked, ABodyThatNeverEndsGetsOneTimeout) {
  // Chunked: nothing was answered, the header timeout (whole request) says 408, once.
  {
    HttpConnection conn(kw->port());
    ASSERT_TRUE(conn.sendRaw(head() + "5\r\nhel"));
    bool closed = false;
    const auto answers = answersIn(readUntilClosed(conn.fd(), 5s, &closed));
    ASSERT_EQ(answers.size(), 1u) << statuses(answers);
    EXPECT_EQ(answers[0].status, 408);
    EXPECT_TRUE(closed);
  }
  // Content-Length: answered at the head (harmless, the length frames the next request), so
  // a body that never comes is not answered a second time.
  {
    HttpConnection conn(kw->port());
    ASSERT_TRUE(
        conn.sendRaw("POST /v1/verify HTTP/1.1\r\nHost: x\r\nX-API-Key: " + key + "\r\nContent-Length: 10\r\n\r\nabc"));
    bool closed = false;
    const auto answers = answersIn(readUntilClosed(conn.fd(), 5s, &closed));
    ASSERT_EQ(answers.size(), 1u) << statuses(answers);
    EXPECT_EQ(answers[0].status, 200);
    EXPECT_TRUE(closed);
  }
}

TEST_F(HostileChunked, ContentLengthBodiesFrameTheNextRequest) {
  HttpConnection conn(kw->port());
  ASSERT_TRUE(
      conn.sendRaw("POST /v1/verify HTTP/1.1\r\nHost: x\r\nX-API-Key: " + key + "\r\nContent-Length: 5\r\n\r\nhel"));
  ASSERT_TRUE(conn.sendRaw("lo" + get("Connection: close\r\n")));
  bool closed = false;
  const auto answers = answersIn(readUntilClosed(conn.fd(), 5s, &closed));
  ASSERT_EQ(answers.size(), 2u) << statuses(answers);
  EXPECT_EQ(answers[0].status, 200);
  EXPECT_EQ(answers[1].status, 200);
  EXPECT_TRUE(closed);
}

}  // namespace
}  // namespace keyward::test
