#include "keyward/lifecycle/FleetSync.h"

#include <Poco/Exception.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>

#include <algorithm>
#include <charconv>

#include "keyward/base/Json.h"
#include "keyward/lifecycle/UsageStore.h"

namespace keyward {

std::string budgetRedisKey(std::string_view prefix, RateLimiter::Kind kind, std::string_view name,
                           const RateLimit& limit) {
  std::string out(prefix);
  out += kind == RateLimiter::Kind::Key ? "rate:k:" : "rate:p:";
  out += name;
  out += ':' + std::to_string(limit.requests) + '/' + std::to_string(limit.perMs) + '/' + std::to_string(limit.burst);
  return out;
}

std::int64_t budgetCounterTtlMs(const RateLimit& limit) {
  return std::max<std::int64_t>(60'000, 2 * static_cast<std::int64_t>(limit.perMs));
}

std::string encodeUsage(const UsageFigures& f) {
  return std::to_string(f.allowed) + ' ' + std::to_string(f.denied) + ' ' + std::to_string(f.lastUsedMs);
}

std::optional<UsageFigures> decodeUsage(std::string_view text) {
  UsageFigures f;
  const char* p = text.data();
  const char* end = text.data() + text.size();
  auto field = [&](auto& value, bool last) {
    auto [next, ec] = std::from_chars(p, end, value);
    if (ec != std::errc() || next == p) return false;
    p = next;
    if (last) return p == end;
    if (p == end || *p != ' ') return false;
    ++p;
    return true;
  };
  if (!field(f.allowed, false) || !field(f.denied, false) || !field(f.lastUsedMs, true)) return std::nullopt;
  return f;
}

std::string encodeRevocation(const SharedRevocation& r) {
  std::string out = "{\"id\":";
  appendJsonString(out, r.id);
  out += ",\"reason\":";
  appendJsonString(out, r.reason);
  out += ",\"time\":" + std::to_string(r.timeMs) + "}";
  return out;
}

std::optional<SharedRevocation> decodeRevocation(std::string_view json) {
  try {
    Poco::JSON::Parser parser;
    Poco::JSON::Object::Ptr o = parser.parse(std::string(json)).extract<Poco::JSON::Object::Ptr>();
    if (!o) return std::nullopt;
    SharedRevocation r;
    r.id = o->optValue<std::string>("id", "");
    r.reason = o->optValue<std::string>("reason", "");
    r.timeMs = o->optValue<std::int64_t>("time", 0);
    return r;
  } catch (const Poco::Exception&) {
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

std::string encodeSuspension(const SharedSuspension& s) {
  std::string out = s.cleared ? "{\"state\":\"cleared\"," : "{\"state\":\"suspended\",";
  appendSuspensionFields(out, s.id, s.url, s.source, s.timeMs);
  out += '}';
  return out;
}

std::optional<SharedSuspension> decodeSuspension(std::string_view json) {
  try {
    Poco::JSON::Parser parser;
    Poco::JSON::Object::Ptr o = parser.parse(std::string(json)).extract<Poco::JSON::Object::Ptr>();
    if (!o) return std::nullopt;
    const std::string state = o->optValue<std::string>("state", "");
    if (state != "suspended" && state != "cleared") return std::nullopt;
    SharedSuspension s;
    s.cleared = state == "cleared";
    s.id = o->optValue<std::string>("id", "");
    s.url = o->optValue<std::string>("url", "");
    s.source = o->optValue<std::string>("source", "");
    s.timeMs = o->optValue<std::int64_t>("time", 0);
    return s;
  } catch (const Poco::Exception&) {
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

}  // namespace keyward
