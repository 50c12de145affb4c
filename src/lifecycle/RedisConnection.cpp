#include "keyward/lifecycle/RedisConnection.h"

#include <Poco/Exception.h>
#include <Poco/Net/SocketAddress.h>
#include <Poco/Net/StreamSocket.h>
#include <Poco/Redis/Array.h>
#include <Poco/Redis/Error.h>
#include <Poco/Redis/RedisStream.h>
#include <Poco/Redis/Type.h>
#include <openssl/crypto.h>

namespace keyward {

struct RedisConnection::Impl {
  Poco::Net::StreamSocket socket;
  std::unique_ptr<Poco::Redis::RedisInputStream> input;
  std::unique_ptr<Poco::Redis::RedisOutputStream> output;
};

namespace {

using Poco::Redis::RedisType;

RedisReply convert(const RedisType::Ptr& value) {
  RedisReply out;
  switch (value->type()) {
    case RedisType::REDIS_INTEGER:
      out.type = RedisReply::Type::Integer;
      out.integer = static_cast<const Poco::Redis::Type<Poco::Int64>&>(*value).value();
      break;
    case RedisType::REDIS_SIMPLE_STRING:
      out.type = RedisReply::Type::String;
      out.text = static_cast<const Poco::Redis::Type<std::string>&>(*value).value();
      break;
    case RedisType::REDIS_BULK_STRING: {
      const Poco::Redis::BulkString& s = static_cast<const Poco::Redis::Type<Poco::Redis::BulkString>&>(*value).value();
      if (!s.isNull()) {
        out.type = RedisReply::Type::String;
        out.text = s.value();
      }
      break;
    }
    case RedisType::REDIS_ARRAY: {
      const Poco::Redis::Array& a = static_cast<const Poco::Redis::Type<Poco::Redis::Array>&>(*value).value();
      if (!a.isNull()) {
        out.type = RedisReply::Type::Array;
        for (const RedisType::Ptr& item : a) out.items.push_back(convert(item));
      }
      break;
    }
    case RedisType::REDIS_ERROR:
      out.type = RedisReply::Type::Error;
      out.text = static_cast<const Poco::Redis::Type<Poco::Redis::Error>&>(*value).value().getMessage();
      break;
    default:
      break;
  }
  return out;
}

}  // namespace

RedisConnection::RedisConnection(RedisEndpoint endpoint, std::chrono::milliseconds timeout)
    : endpoint_(std::move(endpoint)), timeout_(timeout) {}

RedisConnection::~RedisConnection() { close(); }

bool RedisConnection::connected() const { return impl_ != nullptr; }

void RedisConnection::close() {
  if (!impl_) return;
  try {
    impl_->socket.close();
  } catch (const Poco::Exception&) {
  }
  impl_.reset();
}

bool RedisConnection::connect(std::string_view password, std::string& problem) {
  close();
  const Poco::Timespan timeout(static_cast<Poco::Timespan::TimeDiff>(timeout_.count()) * 1000);
  try {
    auto impl = std::make_unique<Impl>();
    const Poco::Net::SocketAddress address =
        endpoint_.unixSocket ? Poco::Net::SocketAddress(Poco::Net::AddressFamily::UNIX_LOCAL, endpoint_.path)
                             : Poco::Net::SocketAddress(endpoint_.host, static_cast<Poco::UInt16>(endpoint_.port));
    impl->socket.connect(address, timeout);
    impl->socket.setSendTimeout(timeout);
    impl->socket.setReceiveTimeout(timeout);
    if (!endpoint_.unixSocket) impl->socket.setNoDelay(true);
    impl->input = std::make_unique<Poco::Redis::RedisInputStream>(impl->socket);
    impl->output = std::make_unique<Poco::Redis::RedisOutputStream>(impl->socket);
    impl_ = std::move(impl);
  } catch (const Poco::Exception& e) {
    problem = "cannot connect to " + endpoint_.describe() + ": " + e.displayText();
    return false;
  }
  std::vector<RedisCommand> hello;
  if (!password.empty()) hello.push_back({"AUTH", std::string(password)});
  hello.push_back({"SELECT", std::to_string(endpoint_.database)});
  std::vector<RedisReply> replies;
  const bool sent = pipeline(hello, replies, problem);
  if (!hello.empty() && !password.empty()) OPENSSL_cleanse(hello.front()[1].data(), hello.front()[1].size());
  if (!sent) return false;
  for (const RedisReply& reply : replies) {
    if (reply.type == RedisReply::Type::Error) {
      // NOAUTH (a password is needed), WRONGPASS, or a database out of range.
      problem = "redis refused the connection: " + reply.text;
      close();
      return false;
    }
  }
  return true;
}

bool RedisConnection::pipeline(const std::vector<RedisCommand>& commands, std::vector<RedisReply>& replies,
                               std::string& problem) {
  replies.clear();
  if (!impl_) {
    problem = "not connected";
    return false;
  }
  const auto started = std::chrono::steady_clock::now();
  try {
    for (const RedisCommand& command : commands) {
      Poco::Redis::Array array;
      for (const std::string& part : command) array << part;
      *impl_->output << array.toString();
    }
    impl_->output->flush();
    if (!impl_->output->good()) throw Poco::IOException("cannot send");
    replies.reserve(commands.size());
    for (std::size_t i = 0; i < commands.size(); ++i) {
      const int marker = impl_->input->get();
      if (marker == std::char_traits<char>::eof()) {
        // The stream hides why: a timeout and a closed connection both end it.
        const bool timedOut = std::chrono::steady_clock::now() - started >= timeout_ * 9 / 10;
        throw Poco::IOException(timedOut ? "no reply within the timeout (" + std::to_string(timeout_.count()) + "ms)"
                                         : std::string("connection lost"));
      }
      RedisType::Ptr value = RedisType::createRedisType(static_cast<char>(marker));
      if (value.isNull()) throw Poco::IOException("not a Redis reply");
      value->read(*impl_->input);
      replies.push_back(convert(value));
    }
    return true;
  } catch (const Poco::Exception& e) {
    problem = endpoint_.describe() + ": " + e.displayText();
  } catch (const std::exception& e) {
    problem = endpoint_.describe() + ": " + e.what();
  }
  close();
  return false;
}

}  // namespace keyward
