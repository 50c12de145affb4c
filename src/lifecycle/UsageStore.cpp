#include "keyward/lifecycle/UsageStore.h"

#include <Poco/JSON/Array.h>
#include <Poco/JSON/Object.h>
#include <Poco/JSON/Parser.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "keyward/base/AtomicFile.h"
#include "keyward/base/Json.h"
#include "keyward/base/SecretFile.h"

namespace keyward {

void appendSuspensionFields(std::string& out, std::string_view id, std::string_view url, std::string_view source,
                            std::int64_t timeMs) {
  out += "\"id\":";
  appendJsonString(out, id);
  out += ",\"url\":";
  appendJsonString(out, url);
  out += ",\"source\":";
  appendJsonString(out, source);
  out += ",\"time\":" + std::to_string(timeMs);
}
namespace {

// Copies what fits, never cutting a UTF-8 character in two (a half character made the
// state file invalid JSON once, and took the revocations with it).
template <std::size_t N>
void copyCut(std::array<char, N>& to, std::string_view from) {
  std::size_t n = std::min(from.size(), N - 1);
  if (n < from.size()) {
    while (n > 0 && (static_cast<unsigned char>(from[n]) & 0xC0) == 0x80) --n;  // n starts a character
  }
  if (n > 0) std::memcpy(to.data(), from.data(), n);
  to[n] = '\0';
}

template <std::size_t N>
std::string text(const std::array<char, N>& field) {
  return std::string(field.data());
}

constexpr std::size_t kMaxStateBytes = 256u << 20;

}  // namespace

void KeyUsage::record(std::int64_t nowMs, bool allowed, std::string_view method, std::string_view path, int status,
                      std::string_view code, std::string_view client) {
  // Several event loops record calls of one busy key: write the shared line only when the
  // millisecond changes, and never wait for the ring. A call whose loop finds the ring
  // busy is counted but not kept in the history, which at that rate is overwritten
  // thousands of times a second anyway.
  if (lastUsedMs_.load(std::memory_order_relaxed) != nowMs) lastUsedMs_.store(nowMs, std::memory_order_relaxed);
  (allowed ? allowed_ : denied_).fetch_add(1, std::memory_order_relaxed);
  if (ringSize_ == 0) return;
  std::unique_lock<std::mutex> lock(ringMutex_, std::try_to_lock);
  if (!lock.owns_lock()) return;
  if (ring_.empty()) ring_.resize(ringSize_);
  CallRecord& r = ring_[next_ % ringSize_];
  ++next_;
  r.timeMs = nowMs;
  r.status = static_cast<std::uint16_t>(status);
  copyCut(r.method, method);
  copyCut(r.code, code);
  copyCut(r.client, client);
  copyCut(r.path, path);
}

std::vector<CallView> KeyUsage::calls() const {
  std::lock_guard<std::mutex> lock(ringMutex_);
  std::vector<CallView> out;
  const std::size_t count = std::min(next_, ring_.size());
  for (std::size_t i = 1; i <= count; ++i) {
    const CallRecord& r = ring_[(next_ - i) % ringSize_];
    out.push_back({r.timeMs, r.status, text(r.method), text(r.code), text(r.client), text(r.path)});
  }
  return out;
}

KeyUsage& UsageStore::forKey(std::string_view id) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = usage_.find(std::string(id));
  if (it == usage_.end()) it = usage_.emplace(std::string(id), std::make_unique<KeyUsage>(ringSize_)).first;
  return *it->second;
}

const KeyUsage* UsageStore::find(std::string_view id) const {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = usage_.find(std::string(id));
  return it == usage_.end() ? nullptr : it->second.get();
}

void UsageStore::forEach(const std::function<void(const std::string& id, KeyUsage& usage)>& visit) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [id, usage] : usage_) visit(id, *usage);
}

std::vector<RevokedKey> UsageStore::revocations() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return revoked_;
}

std::size_t UsageStore::addRevocations(const std::vector<RevokedKey>& revoked) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::size_t added = 0;
  for (const RevokedKey& r : revoked) {
    bool known =
        std::any_of(revoked_.begin(), revoked_.end(), [&](const RevokedKey& k) { return k.digest == r.digest; });
    if (!known) {
      revoked_.push_back(r);
      ++added;
    }
  }
  return added;
}

std::uint64_t UsageStore::changeCount() const {
  std::uint64_t total = 0;
  for (const auto& [id, usage] : usage_) total += usage->allowed() + usage->denied();
  return total;
}

bool UsageStore::dirty() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return changeCount() != savedChangeCount_ || revoked_.size() != savedRevocations_ || diffDirty_ ||
         suspensionsUnsaved_;
}

void UsageStore::setLastReloadDiff(std::string json) {
  std::lock_guard<std::mutex> lock(mutex_);
  lastReloadDiff_ = std::move(json);
  diffDirty_ = true;
}

std::vector<SuspendedKey> UsageStore::suspensions() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return suspended_;
}

namespace {

std::string suspensionListJson(const std::vector<SuspendedKey>& list) {
  std::string out = "{\"version\":1,\"suspended\":[";
  for (std::size_t i = 0; i < list.size(); ++i) {
    const SuspendedKey& k = list[i];
    if (i) out += ',';
    out += "\n{\"sha256\":\"" + toHex(k.digest) + "\",";
    appendSuspensionFields(out, k.id, k.url, k.source, k.timeMs);
    out += '}';
  }
  out += "]}\n";
  return out;
}

bool isSuspended(const std::vector<SuspendedKey>& list, const Digest& digest) {
  return std::any_of(list.begin(), list.end(), [&](const SuspendedKey& s) { return s.digest == digest; });
}

}  // namespace

UsageStore::SuspensionChange UsageStore::addSuspensions(const std::vector<SuspendedKey>& keys) {
  SuspensionChange change;
  std::lock_guard<std::mutex> writer(suspensionFileMutex_);
  std::string json;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const SuspendedKey& k : keys) {
      if (isSuspended(suspended_, k.digest)) continue;
      suspended_.push_back(k);
      change.changed.push_back(k);
      clears_.erase(std::remove_if(clears_.begin(), clears_.end(),
                                   [&](const SuspensionClear& c) { return c.digest == k.digest; }),
                    clears_.end());
    }
    // Nothing new and nothing unsaved: no write (a report of unknown tokens costs no I/O).
    if (change.changed.empty() && !suspensionsUnsaved_) return change;
    json = suspensionListJson(suspended_);
  }
  suspensionsAdded_.fetch_add(change.changed.size(), std::memory_order_relaxed);
  change.saved = persistSuspensions(json, change.problem);
  if (!change.saved) change.path = suspensionsPath(dir_);
  return change;
}

UsageStore::SuspensionChange UsageStore::removeSuspensions(
    const std::function<std::int64_t(const SuspendedKey&)>& clearedAt) {
  SuspensionChange change;
  std::vector<std::int64_t> times;
  std::lock_guard<std::mutex> writer(suspensionFileMutex_);
  std::string json;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<SuspendedKey> remaining;
    for (const SuspendedKey& s : suspended_) {
      if (const std::int64_t t = clearedAt(s)) {
        change.changed.push_back(s);
        times.push_back(t);
      } else {
        remaining.push_back(s);
      }
    }
    if (change.changed.empty()) return change;
    json = suspensionListJson(remaining);
  }
  // Written first, applied after: a clear that cannot be kept is not made (the key stays
  // refused rather than coming back at the next restart without anyone being told).
  change.saved = persistSuspensions(json, change.problem);
  if (!change.saved) {
    change.path = suspensionsPath(dir_);
    return change;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  for (std::size_t i = 0; i < change.changed.size(); ++i) {
    const SuspendedKey& gone = change.changed[i];
    suspended_.erase(std::remove_if(suspended_.begin(), suspended_.end(),
                                    [&](const SuspendedKey& s) { return s.digest == gone.digest; }),
                     suspended_.end());
    clears_.erase(std::remove_if(clears_.begin(), clears_.end(),
                                 [&](const SuspensionClear& c) { return c.digest == gone.digest; }),
                  clears_.end());
    // After the suspension it clears, whatever the clocks say: shared state orders the two by time.
    clears_.push_back({gone.digest, std::max(times[i], gone.timeMs + 1)});
  }
  return change;
}

UsageStore::SuspensionChange UsageStore::clearSuspensions(std::string_view idOrFingerprint, std::int64_t nowMs) {
  return removeSuspensions([&](const SuspendedKey& s) -> std::int64_t {
    const bool match = s.id == idOrFingerprint || fingerprint(s.digest) == idOrFingerprint;
    return match ? std::max<std::int64_t>(nowMs, 1) : 0;
  });
}

UsageStore::SuspensionChange UsageStore::clearSuspensionsOf(const std::vector<SuspensionClear>& clears) {
  return removeSuspensions([&](const SuspendedKey& s) -> std::int64_t {
    for (const SuspensionClear& c : clears) {
      if (c.digest == s.digest) return std::max<std::int64_t>(c.timeMs, 1);
    }
    return 0;
  });
}

std::vector<UsageStore::SuspensionClear> UsageStore::suspensionClears() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return clears_;
}

bool UsageStore::suspensionsSaved() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return !suspensionsUnsaved_;
}

std::string UsageStore::suspensionsJson() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return suspensionListJson(suspended_);
}

bool UsageStore::persistSuspensions(const std::string& json, std::string& problem) {
  std::string dir;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    dir = dir_;
  }
  if (dir.empty()) return true;
  AtomicWriteResult written = writeFileAtomically(suspensionsPath(dir), json, 0600, true);
  std::lock_guard<std::mutex> lock(mutex_);
  suspensionsUnsaved_ = !written.ok;
  if (!written.ok) problem = written.problem;
  return written.ok;
}

std::string UsageStore::revocationsJson() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string out = "{\"version\":1,\"revoked\":[";
  for (std::size_t i = 0; i < revoked_.size(); ++i) {
    const RevokedKey& r = revoked_[i];
    if (i) out += ',';
    out += "\n{\"sha256\":\"" + toHex(r.digest) + "\",\"id\":";
    appendJsonString(out, r.id);
    out += ",\"reason\":";
    appendJsonString(out, r.reason);
    out += ",\"time\":" + std::to_string(r.revokedMs) + "}";
  }
  out += "]}\n";
  return out;
}

std::string UsageStore::usageJson() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string out = "{\"version\":2,\"saved\":";
  appendJsonString(out, formatRfc3339(unixMillisNow()));
  out += ",\"keys\":{";
  bool first = true;
  for (const auto& [id, usage] : usage_) {
    if (!first) out += ',';
    first = false;
    appendJsonString(out, id);
    out += ":{\"last_used\":" + std::to_string(usage->lastUsedMs()) +
           ",\"allowed\":" + std::to_string(usage->allowed()) + ",\"denied\":" + std::to_string(usage->denied()) +
           ",\"calls\":[";
    std::vector<CallView> calls = usage->calls();
    for (std::size_t i = calls.size(); i-- > 0;) {  // oldest first, so a reload replays in order
      const CallView& c = calls[i];
      out += "{\"time\":" + std::to_string(c.timeMs) + ",\"status\":" + std::to_string(c.status) + ",\"method\":";
      appendJsonString(out, c.method);
      out += ",\"path\":";
      appendJsonString(out, c.path);
      out += ",\"code\":";
      appendJsonString(out, c.code);
      out += ",\"client\":";
      appendJsonString(out, c.client);
      out += i ? "}," : "}";
    }
    out += "]}";
  }
  out += "}";
  if (!lastReloadDiff_.empty()) out += ",\"last_reload\":" + lastReloadDiff_;
  out += "}\n";
  return out;
}

namespace {

// The "revoked" array of revoked.json (and of version 1 state files, which kept it there).
std::vector<RevokedKey> readRevocations(const Poco::JSON::Array::Ptr& list) {
  std::vector<RevokedKey> revoked;
  for (std::size_t i = 0; list && i < list->size(); ++i) {
    Poco::JSON::Object::Ptr r = list->getObject(static_cast<unsigned>(i));
    if (!r) throw std::runtime_error("a revocation is not an object");
    auto digest = digestFromHex(r->getValue<std::string>("sha256"));
    if (!digest) throw std::runtime_error("a revocation has no valid sha256");
    revoked.push_back({*digest, r->getValue<std::string>("id"), r->getValue<std::string>("reason"),
                       r->getValue<std::int64_t>("time")});
  }
  return revoked;
}

// Runs `read` on the top-level object of `json`. Any parse or shape error (Poco's
// exceptions end here) gives false with `problem`.
template <class Read>
bool readJsonObject(std::string_view json, std::string& problem, Read&& read) {
  try {
    Poco::JSON::Parser parser;
    Poco::JSON::Object::Ptr top = parser.parse(std::string(json)).extract<Poco::JSON::Object::Ptr>();
    if (!top) throw std::runtime_error("not a JSON object");
    read(top);
    return true;
  } catch (const Poco::Exception& e) {
    problem = e.displayText();
  } catch (const std::exception& e) {
    problem = e.what();
  }
  return false;
}

}  // namespace

bool UsageStore::loadRevocationsJson(std::string_view json, std::string& problem) {
  std::vector<RevokedKey> revoked;
  const bool ok = readJsonObject(json, problem, [&](const Poco::JSON::Object::Ptr& top) {
    if (top->getValue<int>("version") != 1) throw std::runtime_error("not a version 1 revocation file");
    if (!top->has("revoked")) throw std::runtime_error("no 'revoked' list");
    revoked = readRevocations(top->getArray("revoked"));
  });
  if (!ok) return false;
  addRevocations(revoked);
  std::lock_guard<std::mutex> lock(mutex_);
  savedRevocations_ = revoked_.size();
  return true;
}

bool UsageStore::loadJson(std::string_view json, std::string& problem) {
  std::unordered_map<std::string, std::unique_ptr<KeyUsage>> usage;
  std::vector<RevokedKey> revoked;
  const bool ok = readJsonObject(json, problem, [&](const Poco::JSON::Object::Ptr& top) {
    const int version = top->getValue<int>("version");
    if (version != 1 && version != 2) throw std::runtime_error("not a version 1 or 2 state file");
    Poco::JSON::Object::Ptr keys = top->getObject("keys");
    if (!keys) throw std::runtime_error("no 'keys' object");
    for (const auto& [id, value] : *keys) {
      Poco::JSON::Object::Ptr k = value.extract<Poco::JSON::Object::Ptr>();
      auto u = std::make_unique<KeyUsage>(ringSize_);
      u->lastUsedMs_ = k->getValue<std::int64_t>("last_used");
      u->allowed_ = k->getValue<std::uint64_t>("allowed");
      u->denied_ = k->getValue<std::uint64_t>("denied");
      if (Poco::JSON::Array::Ptr calls = k->getArray("calls")) {
        for (std::size_t i = 0; i < calls->size(); ++i) {
          Poco::JSON::Object::Ptr c = calls->getObject(static_cast<unsigned>(i));
          if (!c) throw std::runtime_error("a call is not an object");
          if (u->ringSize_ == 0) break;
          if (u->ring_.empty()) u->ring_.resize(u->ringSize_);
          CallRecord& r = u->ring_[u->next_ % u->ringSize_];
          ++u->next_;
          r.timeMs = c->getValue<std::int64_t>("time");
          r.status = static_cast<std::uint16_t>(c->getValue<int>("status"));
          copyCut(r.method, c->getValue<std::string>("method"));
          copyCut(r.path, c->getValue<std::string>("path"));
          copyCut(r.code, c->getValue<std::string>("code"));
          copyCut(r.client, c->getValue<std::string>("client"));
        }
      }
      usage.emplace(id, std::move(u));
    }
    // Version 1 files kept the revocations here too: they are kept, never dropped.
    if (version == 1 && top->has("revoked")) revoked = readRevocations(top->getArray("revoked"));
  });
  if (!ok) return false;
  addRevocations(revoked);
  std::lock_guard<std::mutex> lock(mutex_);
  usage_ = std::move(usage);
  savedChangeCount_ = changeCount();
  return true;
}

bool UsageStore::loadSuspensionsJson(std::string_view json, std::string& problem) {
  std::vector<SuspendedKey> suspended;
  const bool ok = readJsonObject(json, problem, [&](const Poco::JSON::Object::Ptr& top) {
    if (top->getValue<int>("version") != 1) throw std::runtime_error("not a version 1 suspension file");
    Poco::JSON::Array::Ptr list = top->getArray("suspended");
    if (!list) throw std::runtime_error("no 'suspended' list");
    for (std::size_t i = 0; i < list->size(); ++i) {
      Poco::JSON::Object::Ptr r = list->getObject(static_cast<unsigned>(i));
      if (!r) throw std::runtime_error("a suspension is not an object");
      auto digest = digestFromHex(r->getValue<std::string>("sha256"));
      if (!digest) throw std::runtime_error("a suspension has no valid sha256");
      suspended.push_back({*digest, r->getValue<std::string>("id"), r->optValue<std::string>("url", ""),
                           r->optValue<std::string>("source", ""), r->getValue<std::int64_t>("time")});
    }
  });
  if (!ok) return false;
  std::lock_guard<std::mutex> lock(mutex_);
  for (SuspendedKey& k : suspended) {
    bool known =
        std::any_of(suspended_.begin(), suspended_.end(), [&](const SuspendedKey& s) { return s.digest == k.digest; });
    if (!known) suspended_.push_back(std::move(k));
  }
  return true;
}

std::string UsageStore::suspensionsPath(const std::string& dir) { return dir + "/suspended.json"; }
std::string UsageStore::statePath(const std::string& dir) { return dir + "/state.json"; }
std::string UsageStore::revocationsPath(const std::string& dir) { return dir + "/revoked.json"; }

namespace {

enum class ReadFile { Ok, Missing, Failed };

ReadFile readStateFile(const std::string& path, std::string& content, std::string& problem) {
  if (::access(path.c_str(), F_OK) != 0 && errno == ENOENT) return ReadFile::Missing;
  // Regular files only, never blocking: a FIFO in state_dir must not hang the start.
  PlainFileRead read = readPlainFile(path, kMaxStateBytes);
  if (!read.ok) {
    problem = path + ": " + read.problem;
    return ReadFile::Failed;
  }
  content = std::move(read.content);
  return ReadFile::Ok;
}

}  // namespace

UsageStore::LoadOutcome UsageStore::load(const std::string& dir) {
  LoadOutcome outcome;
  std::string content;
  const std::string revokedPath = revocationsPath(dir);
  switch (readStateFile(revokedPath, content, outcome.revocationsProblem)) {
    case ReadFile::Ok:
      outcome.revocationFileFound = true;
      if (!loadRevocationsJson(content, outcome.revocationsProblem)) {
        outcome.revocationsProblem = revokedPath + ": " + outcome.revocationsProblem;
      }
      break;
    case ReadFile::Missing:
      break;
    case ReadFile::Failed:
      break;
  }
  const std::string suspendedPath = suspensionsPath(dir);
  switch (readStateFile(suspendedPath, content, outcome.suspensionsProblem)) {
    case ReadFile::Ok:
      if (!loadSuspensionsJson(content, outcome.suspensionsProblem)) {
        outcome.suspensionsProblem = suspendedPath + ": " + outcome.suspensionsProblem;
      }
      break;
    case ReadFile::Missing:
      break;
    case ReadFile::Failed:
      break;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    dir_ = dir;
  }
  const std::string usagePath = statePath(dir);
  switch (readStateFile(usagePath, content, outcome.usageProblem)) {
    case ReadFile::Ok:
      if (!loadJson(content, outcome.usageProblem)) outcome.usageProblem = usagePath + ": " + outcome.usageProblem;
      break;
    case ReadFile::Missing:
      break;
    case ReadFile::Failed:
      break;
  }
  return outcome;
}

bool UsageStore::save(const std::string& dir, std::string& problem, std::string* failedPath) {
  auto failed = [&](const std::string& path, const std::string& why) {
    problem = why;
    if (failedPath) *failedPath = path;
    return false;
  };
  std::uint64_t count;
  std::size_t revocations;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    count = changeCount();
    revocations = revoked_.size();
  }
  // Revocations first, in their own file: a problem with usage can never take them along.
  if (revocations != savedRevocations_ || !revocationFileWritten_) {
    AtomicWriteResult written = writeFileAtomically(revocationsPath(dir), revocationsJson(), 0600, true);
    if (!written.ok) return failed(revocationsPath(dir), written.problem);  // still dirty: the next tick tries again
    std::lock_guard<std::mutex> lock(mutex_);
    savedRevocations_ = revocations;
    revocationFileWritten_ = true;
  }
  // An earlier write of suspended.json failed (the suspensions were kept in memory): try
  // again; if it fails still, usage is saved all the same and the failure returned.
  std::string suspensionsProblem;
  if (!suspensionsSaved()) {
    std::lock_guard<std::mutex> writer(suspensionFileMutex_);
    persistSuspensions(suspensionsJson(), suspensionsProblem);
  }
  auto done = [&] { return suspensionsProblem.empty() ? true : failed(suspensionsPath(dir), suspensionsProblem); };
  bool diffDirty;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    diffDirty = diffDirty_;
  }
  if (count == savedChangeCount_ && !diffDirty) return done();
  AtomicWriteResult written = writeFileAtomically(statePath(dir), usageJson(), 0600, true);
  if (!written.ok) return failed(statePath(dir), written.problem);
  {
    std::lock_guard<std::mutex> lock(mutex_);
    savedChangeCount_ = count;
    diffDirty_ = false;
  }
  return done();
}

}  // namespace keyward
