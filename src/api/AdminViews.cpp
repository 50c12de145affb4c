#include "keyward/api/AdminViews.h"

#include <algorithm>
#include <charconv>

#include "keyward/base/Json.h"
#include "keyward/http/QueryString.h"

namespace keyward {
namespace {

constexpr std::size_t kDefaultLimit = 100;
constexpr std::size_t kMaxLimit = 1000;

void appendTime(std::string& out, std::int64_t ms, std::int64_t unset) {
  if (ms == unset || ms == 0) {
    out += "null";
  } else {
    appendJsonString(out, formatRfc3339(ms));
  }
}

bool isKnownStatus(std::string_view s) {
  return s == "active" || s == "suspended" || s == "revoked" || s == "expired" || s == "pending";
}

}  // namespace

std::string_view effectiveStatus(const KeyEntry& key, std::int64_t nowMs) {
  const KeyPolicy& policy = key.rules();
  if (key.revoked) return "revoked";
  if (policy.status == KeyStatus::Suspended || key.isLeaked()) return "suspended";
  if (nowMs < policy.notBeforeMs) return "pending";
  if (nowMs >= policy.expiresMs) return "expired";
  return "active";
}

void appendKeyJson(std::string& out, const KeyEntry& key, const KeyUsage* usage, std::int64_t nowMs, bool detailed) {
  const KeyPolicy& policy = key.rules();
  out += "{\"id\":";
  appendJsonString(out, key.id);
  out += ",\"name\":";
  appendJsonString(out, policy.name);
  out += ",\"peer\":";
  appendJsonString(out, key.peer);
  out += ",\"type\":";
  appendJsonString(out, toString(policy.type));
  out += ",\"scopes\":";
  appendJsonStringArray(out, policy.scopes);
  out += ",\"status\":";
  appendJsonString(out, effectiveStatus(key, nowMs));
  out += ",\"fingerprint\":";
  appendJsonString(out, fingerprint(key.digest));
  // Suspended because it was reported leaked (until `keyward leaked --clear`).
  out += key.isLeaked() ? ",\"leaked\":true" : ",\"leaked\":false";
  out += ",\"created\":";
  appendTime(out, policy.createdMs, kNoStart);
  out += ",\"expires\":";
  appendTime(out, policy.expiresMs, kNoEnd);
  out += ",\"last_used\":";
  // Fleet-wide with shared state on (this replica's live counts plus what the others last
  // reported), this replica's otherwise.
  appendTime(out, usage ? usage->fleetLastUsedMs() : 0, 0);
  out += ",\"allowed\":" + std::to_string(usage ? usage->fleetAllowed() : 0);
  out += ",\"denied\":" + std::to_string(usage ? usage->fleetDenied() : 0);
  if (detailed) {
    out += ",\"description\":";
    appendJsonString(out, policy.description);
    out += ",\"not_before\":";
    appendTime(out, policy.notBeforeMs, kNoStart);
    out += ",\"revoked_reason\":";
    appendJsonString(out, policy.revokedReason);
  }
  out += '}';
}

void appendCallsJson(std::string& out, std::string_view id, const KeyUsage* usage) {
  out += "{\"id\":";
  appendJsonString(out, id);
  out += ",\"calls\":[";
  if (usage) {
    bool first = true;
    for (const CallView& c : usage->calls()) {
      if (!first) out += ',';
      first = false;
      out += "{\"time\":";
      appendJsonString(out, formatRfc3339(c.timeMs));
      out += ",\"method\":";
      appendJsonString(out, c.method);
      out += ",\"path\":";
      appendJsonString(out, c.path);
      out += ",\"status\":" + std::to_string(c.status) + ",\"reason\":";
      appendJsonString(out, c.code);
      out += ",\"client\":";
      appendJsonString(out, c.client);
      out += '}';
    }
  }
  out += "]}";
}

KeyPage listKeys(const KeySet& keys, const UsageStore* usage, std::string_view query, std::int64_t nowMs) {
  auto bad = [](std::string_view what) {
    std::string body = "{\"error\":\"BAD_REQUEST\",\"detail\":";
    appendJsonString(body, what);
    return KeyPage{400, body + "}"};
  };
  QueryParam status = queryParam(query, "status"), peer = queryParam(query, "peer");
  QueryParam limitParam = queryParam(query, "limit"), cursor = queryParam(query, "cursor");
  if (!status.valid || !peer.valid || !limitParam.valid || !cursor.valid) return bad("a parameter does not decode");
  if (status.present && !isKnownStatus(status.value)) {
    return bad("status must be active, suspended, revoked, expired or pending");
  }
  std::size_t limit = kDefaultLimit;
  if (limitParam.present) {
    const std::string& v = limitParam.value;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), limit);
    if (ec != std::errc() || end != v.data() + v.size() || limit == 0 || limit > kMaxLimit) {
      return bad("limit must be a number from 1 to 1000");
    }
  }
  // Matching keys after the cursor, the `limit + 1` smallest ids (one more tells whether
  // another page follows). No sorted copy of 100,000 keys per request.
  std::vector<const KeyEntry*> page;
  auto byId = [](const KeyEntry* a, const KeyEntry* b) { return a->id < b->id; };
  for (const KeyEntry& key : keys.entries()) {
    if (cursor.present && key.id <= cursor.value) continue;
    if (peer.present && key.peer != peer.value) continue;
    if (status.present && effectiveStatus(key, nowMs) != status.value) continue;
    if (page.size() <= limit) {
      page.push_back(&key);
      std::push_heap(page.begin(), page.end(), byId);
    } else if (key.id < page.front()->id) {
      std::pop_heap(page.begin(), page.end(), byId);
      page.back() = &key;
      std::push_heap(page.begin(), page.end(), byId);
    }
  }
  std::sort_heap(page.begin(), page.end(), byId);
  const bool more = page.size() > limit;
  if (more) page.pop_back();

  KeyPage result;
  result.body = "{\"keys\":[";
  for (std::size_t i = 0; i < page.size(); ++i) {
    if (i) result.body += ',';
    appendKeyJson(result.body, *page[i], usage ? usage->find(page[i]->id) : nullptr, nowMs, false);
  }
  result.body += "],\"next_cursor\":";
  if (more)
    appendJsonString(result.body, page.back()->id);
  else
    result.body += "null";
  result.body += '}';
  return result;
}

}  // namespace keyward
