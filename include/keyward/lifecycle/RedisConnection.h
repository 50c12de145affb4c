#pragma once
// One connection to Redis for the shared-state thread: connect (with a timeout), AUTH,
// SELECT, and pipelined commands whose replies come back as plain values. The protocol is
// Poco's (Poco::Redis types read and write RESP); the socket is ours, so that sending has a
// timeout as well as connecting and receiving: a stopped or unreachable Redis makes a call
// fail after `timeout`, never hang. Exceptions stay inside: calls return false with a
// problem, and the connection is closed after any network error.
// Not thread-safe: one owner thread.

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "keyward/config/RedisEndpoint.h"

namespace keyward {

struct RedisReply {
  enum class Type { Nil, Integer, String, Array, Error };
  Type type = Type::Nil;
  std::int64_t integer = 0;
  std::string text;  // a string, or the error message
  std::vector<RedisReply> items;
};

using RedisCommand = std::vector<std::string>;

class RedisConnection {
 public:
  RedisConnection(RedisEndpoint endpoint, std::chrono::milliseconds timeout);
  ~RedisConnection();
  RedisConnection(const RedisConnection&) = delete;
  RedisConnection& operator=(const RedisConnection&) = delete;

  // Connects, sends AUTH `password` (when not empty) and SELECT. The problem never quotes
  // the password ("WRONGPASS invalid username-password pair ..." is Redis's own text).
  bool connect(std::string_view password, std::string& problem);
  bool connected() const;
  void close();
  // Sends every command in one write, then reads one reply per command. A Redis error for
  // one command is that command's reply (Type::Error); false only on a network problem or a
  // timeout (and the connection is then closed).
  bool pipeline(const std::vector<RedisCommand>& commands, std::vector<RedisReply>& replies, std::string& problem);

 private:
  struct Impl;
  RedisEndpoint endpoint_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace keyward
