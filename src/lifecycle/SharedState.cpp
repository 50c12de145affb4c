#include "keyward/lifecycle/SharedState.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cstdio>

#include "keyward/base/Digest.h"
#include "keyward/base/Json.h"
#include "keyward/base/Log.h"
#include "keyward/base/SecretFile.h"

namespace keyward {
namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr milliseconds kFirstBackoff{100};
constexpr milliseconds kMaxBackoff{2000};
constexpr std::size_t kFieldsPerCommand = 1000;
constexpr int kIdleRounds = 10;
constexpr std::size_t kNoReply = static_cast<std::size_t>(-1);

std::int64_t monotonicMicros() {
  return std::chrono::duration_cast<std::chrono::microseconds>(steady_clock::now().time_since_epoch()).count();
}

std::string defaultReplicaName(const Config& config) {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0 || !host[0]) std::snprintf(host, sizeof host, "host");
  // With a state_dir, a restarted replica continues its own entry (its counts were kept);
  // without one it starts afresh, so it must not overwrite its former self's.
  if (!config.stateDir.empty()) return std::string(host) + ":" + config.stateDir;
  return std::string(host) + ":" + std::to_string(::getpid()) + ":" + std::to_string(unixMillisNow());
}

std::optional<std::int64_t> integerOf(const RedisReply& reply) {
  if (reply.type == RedisReply::Type::Integer) return reply.integer;
  if (reply.type == RedisReply::Type::Nil) return 0;
  if (reply.type == RedisReply::Type::String) {
    std::int64_t v = 0;
    auto [end, ec] = std::from_chars(reply.text.data(), reply.text.data() + reply.text.size(), v);
    if (ec == std::errc() && end == reply.text.data() + reply.text.size()) return v;
  }
  return std::nullopt;
}

// Sends `commands` in one pipeline; false with `problem` if the link failed or Redis
// answered any of them with an error.
bool pipelineWithoutErrors(RedisConnection& redis, const std::vector<RedisCommand>& commands,
                           std::vector<RedisReply>& replies, std::string& problem) {
  if (!redis.pipeline(commands, replies, problem)) return false;
  for (const RedisReply& reply : replies) {
    if (reply.type == RedisReply::Type::Error) {
      problem = "redis: " + reply.text;
      return false;
    }
  }
  return true;
}

}  // namespace

SharedState::SharedState(const Config& config, RateLimiter& limiter, UsageStore& usage, const Reloader& reloader,
                         RevokedCallback onRevoked)
    : config_(config.sharedState),
      replica_(config.sharedState.replicaName.empty() ? defaultReplicaName(config) : config.sharedState.replicaName),
      instance_(std::to_string(::getpid()) + ":" + std::to_string(unixMillisNow())),
      limiter_(limiter),
      usage_(usage),
      reloader_(reloader),
      onRevoked_(std::move(onRevoked)),
      redis_(
          [&] {
            std::string problem;
            return parseRedisUrl(config.sharedState.redis, problem).value_or(RedisEndpoint{});
          }(),
          config.sharedState.timeout) {
  std::string problem;
  endpoint_ = parseRedisUrl(config_.redis, problem).value_or(RedisEndpoint{});
  status_.redis = endpoint_.describe();
  status_.replica = replica_;
  status_.lastError = "not connected yet";
}

SharedState::~SharedState() { stop(); }

void SharedState::start() {
  if (thread_.joinable()) return;
  // What this replica knew before: published on the first round, never received again.
  for (const RevokedKey& r : usage_.revocations()) knownRevoked_.insert(fingerprint(r.digest));
  thread_ = std::thread([this] { run(); });
}

void SharedState::stop() {
  {
    std::lock_guard<std::mutex> lock(wakeMutex_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

SharedStateStatus SharedState::status() const {
  std::lock_guard<std::mutex> lock(statusMutex_);
  return status_;
}

std::string SharedState::metricsText() const {
  SharedStateStatus s = status();
  std::string out;
  out += "# HELP keyward_shared_state_up 1 while the shared state's Redis answers, else 0.\n";
  out += "# TYPE keyward_shared_state_up gauge\n";
  out += "keyward_shared_state_up " + std::string(s.connected ? "1" : "0") + "\n";
  out +=
      "# HELP keyward_shared_state_errors_total Failed connections and syncs with the shared "
      "state's Redis.\n";
  out += "# TYPE keyward_shared_state_errors_total counter\n";
  out += "keyward_shared_state_errors_total " + std::to_string(s.errors) + "\n";
  out +=
      "# HELP keyward_shared_state_last_sync_timestamp_seconds Unix time of the last successful "
      "sync.\n";
  out += "# TYPE keyward_shared_state_last_sync_timestamp_seconds gauge\n";
  out += "keyward_shared_state_last_sync_timestamp_seconds " + std::to_string(s.lastSyncMs / 1000) + "\n";
  return out;
}

void SharedState::setConnected(bool connected, const std::string& problem) {
  bool changed;
  {
    std::lock_guard<std::mutex> lock(statusMutex_);
    changed = status_.connected != connected || (!connected && problem != loggedProblem_);
    status_.connected = connected;
    if (connected) {
      status_.lastSyncMs = unixMillisNow();
      status_.lastError.clear();
    } else {
      ++status_.errors;
      status_.lastError = problem;
    }
  }
  if (!changed) return;
  // Once per change of state (or of the reason), never once per attempt.
  if (connected) {
    Log::info("shared_state",
              everConnected_ ? "redis is back; sharing budgets, usage and revocations again"
                             : "connected to redis; sharing budgets, usage and revocations",
              {{"redis", status_.redis}, {"replica", replica_}});
    everConnected_ = true;
    loggedProblem_.clear();
  } else {
    Log::error("shared_state", "redis unavailable; verifying with local limits and retrying",
               {{"redis", status_.redis}, {"error", problem}});
    loggedProblem_ = problem;
  }
}

bool SharedState::connect() {
  std::string problem;
  SecretBuffer password;
  if (!config_.passwordFile.empty()) {
    SecretFileOptions options;
    options.checkPermissions = config_.checkPermissions;
    SecretFileRead read = readSecretFile(config_.passwordFile, options);
    if (!read.ok) {
      setConnected(false, "password_file " + config_.passwordFile + ": " + read.problem);
      return false;
    }
    password = std::move(read.content);
    // One line, as written by `echo` or an editor: the final newline is not the password's.
    std::string_view v = password.view();
    while (!v.empty() && (v.back() == '\n' || v.back() == '\r')) v.remove_suffix(1);
    password.setSize(v.size());
  }
  if (!redis_.connect(password.view(), problem)) {
    setConnected(false, problem);
    return false;
  }
  return true;
}

void SharedState::run() {
  milliseconds backoff = kFirstBackoff;
  steady_clock::time_point nextAttempt = steady_clock::now();
  while (true) {
    {
      std::unique_lock<std::mutex> lock(wakeMutex_);
      if (stopping_) break;
    }
    const auto now = steady_clock::now();
    if (!redis_.connected() && now >= nextAttempt) {
      if (connect()) {
        backoff = kFirstBackoff;
        counts_.clear();  // what the counters did meanwhile is not ours to spend
        remoteRevokedCount_ = -1;
        remoteSuspendedVersion_ = -1;
        nextUsageSync_ = now;
      } else {
        nextAttempt = now + backoff;
        backoff = std::min(backoff * 2, kMaxBackoff);
      }
    }
    if (redis_.connected()) {
      std::string problem;
      bool ok = syncBudgetsAndRevocations(problem) && syncSuspensions(problem);
      if (ok && steady_clock::now() >= nextUsageSync_) {
        ok = syncUsage(problem);
        nextUsageSync_ = steady_clock::now() + config_.usageInterval;
      }
      if (ok) {
        setConnected(true, "");
      } else {
        redis_.close();
        setConnected(false, problem);
        nextAttempt = steady_clock::now() + backoff;
      }
    } else {
      drainBudgets();
    }
    std::unique_lock<std::mutex> lock(wakeMutex_);
    wake_.wait_for(lock, config_.syncInterval, [this] { return stopping_; });
  }
  // Last words: what this replica admitted and counted since the last sync; then the name
  // is given up, so that a restart takes it at once.
  if (redis_.connected()) {
    std::string problem;
    if (syncBudgetsAndRevocations(problem) && syncSuspensions(problem) && syncUsage(problem) && !nameTaken_) {
      std::vector<RedisReply> replies;
      const std::string claim = config_.keyPrefix + "replica:" + replica_;
      if (redis_.pipeline({{"GET", claim}}, replies, problem) && replies[0].text == instance_) {
        redis_.pipeline({{"DEL", claim}}, replies, problem);
      }
    }
  }
  redis_.close();
}

void SharedState::drainBudgets() {
  limiter_.forEach([](RateLimiter::Kind, const std::string&, RateBudget& budget) { budget.takeAdmittedCount(); });
}

bool SharedState::syncBudgetsAndRevocations(std::string& problem) {
  struct Entry {
    RateBudget* budget;
    std::string key;
    std::uint64_t mine;
  };
  std::vector<Entry> entries;
  limiter_.forEach([&](RateLimiter::Kind kind, const std::string& name, RateBudget& budget) {
    entries.push_back({&budget, budgetRedisKey(config_.keyPrefix, kind, name, budget.limit()), 0});
    // A request given back after its count was taken makes the count negative for a round:
    // carry it to the next one instead of reporting 2^64.
    auto taken = static_cast<std::int64_t>(budget.takeAdmittedCount());
    Entry& e = entries.back();
    auto carried = carry_.find(e.key);
    if (carried != carry_.end()) {
      taken += carried->second;
      carry_.erase(carried);
    }
    if (taken < 0)
      carry_[e.key] = taken;
    else
      e.mine = static_cast<std::uint64_t>(taken);
  });

  std::vector<RedisCommand> commands;
  std::vector<std::size_t> replyOf(entries.size());
  ++round_;
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    replyOf[i] = commands.size();
    // A budget idle here for a while is read every tenth round only: thousands of limited
    // keys cost Redis little, and the others' requests are still all spent (later, at once).
    int& idle = idleRounds_[e.key];
    idle = e.mine > 0 ? 0 : std::min(idle + 1, kIdleRounds);
    if (idle >= kIdleRounds && round_ % kIdleRounds != 0) {
      replyOf[i] = kNoReply;
      continue;
    }
    if (e.mine > 0) {
      commands.push_back({"INCRBY", e.key, std::to_string(e.mine)});
      commands.push_back({"PEXPIRE", e.key, std::to_string(budgetCounterTtlMs(e.budget->limit()))});
    } else {
      commands.push_back({"GET", e.key});
    }
  }
  const std::size_t budgetCommands = commands.size();
  // Revocations made here (by a reload) that the fleet has not heard of yet.
  std::vector<std::string> publishing;
  for (const RevokedKey& r : usage_.revocations()) {
    std::string fp = fingerprint(r.digest);
    if (knownRevoked_.count(fp) && remoteRevokedCount_ >= 0) continue;
    commands.push_back({"HSETNX", config_.keyPrefix + "revoked", fp, encodeRevocation({r.id, r.reason, r.revokedMs})});
    publishing.push_back(std::move(fp));
  }
  const std::size_t lengthReply = commands.size();
  commands.push_back({"HLEN", config_.keyPrefix + "revoked"});
  // Leak suspensions ride on this round trip: the hash is read again only when it changed.
  const std::size_t suspendedVersionReply = commands.size();
  commands.push_back({"GET", config_.keyPrefix + "suspended:version"});

  std::vector<RedisReply> replies;
  if (!redis_.pipeline(commands, replies, problem)) return false;
  // An error in the revocation or suspension part fails the round; a budget counter that is
  // not a number (written by hand, or by another program under this prefix) is reset below,
  // and the rest of the round goes on: one bad key must not stop the fleet's revocations.
  for (std::size_t j = budgetCommands; j < replies.size(); ++j) {
    if (replies[j].type == RedisReply::Type::Error) {
      problem = "redis: " + replies[j].text;
      return false;
    }
  }
  std::vector<RedisCommand> repairs;
  const std::int64_t nowUs = monotonicMicros();
  for (std::size_t i = 0; i < entries.size(); ++i) {
    const Entry& e = entries[i];
    if (replyOf[i] == kNoReply) continue;
    const std::optional<std::int64_t> total = integerOf(replies[replyOf[i]]);
    if (!total) {
      Log::warn("shared_state_repaired", "a budget counter in Redis was not a number: reset",
                {{"redis_key", e.key}, {"reply", replies[replyOf[i]].text.substr(0, 80)}});
      repairs.push_back({"DEL", e.key});
      counts_.erase(e.key);
      if (e.mine > 0) carry_[e.key] += static_cast<std::int64_t>(e.mine);  // reported next round
      continue;
    }
    const std::uint64_t others = counts_[e.key].othersSince(*total, e.mine);
    if (others > 0) e.budget->spendElsewhere(others, nowUs);
  }
  if (!repairs.empty()) {
    std::vector<RedisReply> repaired;
    if (!pipelineWithoutErrors(redis_, repairs, repaired, problem)) return false;
  }
  for (std::string& fp : publishing) knownRevoked_.insert(std::move(fp));
  suspendedVersionSeen_ = integerOf(replies[suspendedVersionReply]).value_or(0);

  const std::int64_t remoteCount = integerOf(replies[lengthReply]).value_or(0);
  if (remoteCount != remoteRevokedCount_) {
    if (!redis_.pipeline({{"HGETALL", config_.keyPrefix + "revoked"}}, replies, problem)) return false;
    const RedisReply& all = replies.front();
    for (std::size_t i = 0; i + 1 < all.items.size(); i += 2) {
      const std::string& fp = all.items[i].text;
      if (knownRevoked_.count(fp) || pendingRevoked_.count(fp)) continue;
      if (auto r = decodeRevocation(all.items[i + 1].text)) pendingRevoked_.emplace(fp, *r);
    }
    remoteRevokedCount_ = remoteCount;
    pendingCheckedGeneration_ = 0;  // new ones: look them up now
  }
  resolvePendingRevocations();
  return true;
}

void SharedState::resolvePendingRevocations() {
  if (pendingRevoked_.empty()) return;
  const std::uint64_t generation = reloader_.status().generation;
  if (generation == pendingCheckedGeneration_) return;  // nothing new to match against
  pendingCheckedGeneration_ = generation;
  std::shared_ptr<const KeySet> keys = reloader_.keys().current();
  if (!keys) return;
  // Redis holds fingerprints only: a revocation applies here to the configured key whose
  // digest has that fingerprint. One not configured here waits for a reload that adds it.
  std::vector<RevokedKey> matched;
  for (const KeyEntry& entry : keys->entries()) {
    auto it = pendingRevoked_.find(fingerprint(entry.digest));
    if (it == pendingRevoked_.end()) continue;
    const SharedRevocation& r = it->second;
    matched.push_back({entry.digest, entry.id, r.reason.empty() ? "revoked by another replica" : r.reason,
                       r.timeMs ? r.timeMs : unixMillisNow()});
    Log::warn("shared_revocation", "a key revoked by another replica is revoked here too",
              {{"key_id", entry.id}, {"fingerprint", it->first}, {"revoked_as", r.id}});
    knownRevoked_.insert(it->first);
    pendingRevoked_.erase(it);
  }
  if (matched.empty()) return;
  const std::size_t added = usage_.addRevocations(matched);
  {
    std::lock_guard<std::mutex> lock(statusMutex_);
    status_.revocationsReceived += added;
  }
  if (added > 0 && onRevoked_) onRevoked_();
}

bool SharedState::syncSuspensions(std::string& problem) {
  const std::string hash = config_.keyPrefix + "suspended";
  std::vector<RedisReply> replies;
  if (suspendedVersionSeen_ != remoteSuspendedVersion_) {
    if (!pipelineWithoutErrors(redis_, {{"HGETALL", hash}}, replies, problem)) return false;
    remoteSuspended_.clear();
    const RedisReply& all = replies.front();
    for (std::size_t i = 0; i + 1 < all.items.size(); i += 2) {
      if (auto s = decodeSuspension(all.items[i + 1].text)) remoteSuspended_[all.items[i].text] = std::move(*s);
    }
    remoteSuspendedVersion_ = suspendedVersionSeen_;
  }

  const std::vector<SuspendedKey> local = usage_.suspensions();
  const std::vector<UsageStore::SuspensionClear> clears = usage_.suspensionClears();
  std::map<std::string, std::int64_t> clearedHere;  // fingerprint -> latest clear
  for (const UsageStore::SuspensionClear& c : clears) {
    std::int64_t& t = clearedHere[fingerprint(c.digest)];
    t = std::max(t, c.timeMs);
  }
  std::vector<RedisCommand> writes;
  std::vector<UsageStore::SuspensionClear> clearHere;
  std::set<std::string> suspendedHere;
  for (const SuspendedKey& k : local) {
    std::string fp = fingerprint(k.digest);
    auto remote = remoteSuspended_.find(fp);
    if (remote != remoteSuspended_.end() && remote->second.cleared && remote->second.timeMs >= k.timeMs) {
      clearHere.push_back({k.digest, remote->second.timeMs});  // cleared elsewhere after it was suspended
      continue;
    }
    if (remote == remoteSuspended_.end() || remote->second.cleared) {
      writes.push_back({"HSET", hash, fp, encodeSuspension({false, k.id, k.url, k.source, k.timeMs})});
    }
    suspendedHere.insert(std::move(fp));
  }
  for (const auto& [fp, timeMs] : clearedHere) {
    if (suspendedHere.count(fp)) continue;  // suspended again since
    auto remote = remoteSuspended_.find(fp);
    if (remote != remoteSuspended_.end() && (remote->second.cleared || remote->second.timeMs > timeMs)) continue;
    const std::string id = remote != remoteSuspended_.end() ? remote->second.id : std::string();
    writes.push_back({"HSET", hash, fp, encodeSuspension({true, id, "", "", timeMs})});
  }

  // Suspended elsewhere, not here: applies to the configured key with that fingerprint.
  // Looked up again only when the fleet's list or this replica's key set changed.
  std::vector<SuspendedKey> suspendHere;
  const std::uint64_t generation = reloader_.status().generation;
  if (generation != suspensionLookupGeneration_ || remoteSuspendedVersion_ != suspensionLookupVersion_) {
    std::map<std::string, const SharedSuspension*> wanted;
    for (const auto& [fp, r] : remoteSuspended_) {
      if (r.cleared || suspendedHere.count(fp)) continue;
      auto cleared = clearedHere.find(fp);
      if (cleared != clearedHere.end() && cleared->second >= r.timeMs) continue;  // cleared here later
      wanted.emplace(fp, &r);
    }
    std::shared_ptr<const KeySet> keys = wanted.empty() ? nullptr : reloader_.keys().current();
    if (keys) {
      for (const KeyEntry& entry : keys->entries()) {
        auto it = wanted.find(fingerprint(entry.digest));
        if (it == wanted.end()) continue;
        suspendHere.push_back({entry.digest, entry.id, it->second->url, it->second->source, it->second->timeMs});
      }
    }
    if (wanted.empty() || keys) {
      suspensionLookupGeneration_ = generation;
      suspensionLookupVersion_ = remoteSuspendedVersion_;
    }
  }
  applySuspensions(suspendHere, clearHere);

  if (writes.empty()) return true;
  writes.push_back({"INCR", hash + ":version"});
  return pipelineWithoutErrors(redis_, writes, replies, problem);
}

void SharedState::applySuspensions(const std::vector<SuspendedKey>& suspend,
                                   const std::vector<UsageStore::SuspensionClear>& clear) {
  if (suspend.empty() && clear.empty()) return;
  std::string notSaved, notSavedPath;
  // The store first, then the published key set: a reload publishing meanwhile reads the
  // store after it publishes, so either it or this sees the change.
  if (!suspend.empty()) {
    UsageStore::SuspensionChange change = usage_.addSuspensions(suspend);
    std::shared_ptr<const KeySet> keys = reloader_.keys().current();
    for (const SuspendedKey& k : suspend) {
      if (keys) keys->markLeaked(k.digest, true);  // also when not saved: refused here (fail closed)
    }
    for (const SuspendedKey& k : change.changed) {
      Log::warn("shared_leak", "a key reported leaked on another replica is suspended here too",
                {{"key_id", k.id}, {"fingerprint", fingerprint(k.digest)}, {"url", k.url}, {"source", k.source}});
    }
    if (!change.saved) notSaved = change.problem, notSavedPath = change.path;
  }
  if (!clear.empty()) {
    UsageStore::SuspensionChange change = usage_.clearSuspensionsOf(clear);
    if (change.saved) {
      std::shared_ptr<const KeySet> keys = reloader_.keys().current();
      for (const SuspendedKey& k : change.changed) {
        if (keys) keys->markLeaked(k.digest, false);
        Log::warn("shared_leak_cleared", "a leak suspension cleared on another replica is cleared here too",
                  {{"key_id", k.id}, {"fingerprint", fingerprint(k.digest)}});
      }
    } else {
      notSaved = change.problem, notSavedPath = change.path;  // stays suspended; tried again next round
    }
  }
  if (!notSaved.empty() && notSaved != loggedSuspensionProblem_) {
    Log::error("leak_not_saved",
               "leak suspensions from the fleet could not be written here; applied in memory, retrying",
               {{"path", notSavedPath}, {"error", notSaved}});
  }
  loggedSuspensionProblem_ = notSaved;
}

bool SharedState::syncUsage(std::string& problem) {
  // This replica's totals: absolute figures, so a retry or a restart (with state_dir) never
  // counts a call twice.
  std::vector<std::pair<std::string, UsageFigures>> changed;
  usage_.forEach([&](const std::string& id, KeyUsage& usage) {
    UsageFigures now{usage.allowed(), usage.denied(), usage.lastUsedMs()};
    if (now.allowed == 0 && now.denied == 0) return;  // a record made for the others' figures
    auto it = pushedUsage_.find(id);
    if (it == pushedUsage_.end() || !(it->second == now)) changed.emplace_back(id, now);
  });
  // The name is this process's while it holds the claim; another process given the same
  // replica_name would overwrite these figures (and this one its), so it pushes nothing.
  const std::string claim = config_.keyPrefix + "replica:" + replica_;
  const std::string claimTtlMs = std::to_string(std::max<std::int64_t>(3 * config_.usageInterval.count(), 3000));
  std::vector<RedisReply> claimed;
  if (!pipelineWithoutErrors(redis_, {{"SET", claim, instance_, "NX", "PX", claimTtlMs}, {"GET", claim}}, claimed,
                             problem)) {
    return false;
  }
  const bool ours = claimed[1].type == RedisReply::Type::String && claimed[1].text == instance_;
  if (ours == nameTaken_) {
    if (ours) {
      Log::info("shared_state_name_taken", "the replica name is free again: usage is shared", {{"replica", replica_}});
    } else {
      Log::error("shared_state_name_taken",
                 "another keyward uses this replica name: this one's usage is not shared until the name is free "
                 "(give each replica its own shared_state.replica_name)",
                 {{"replica", replica_}});
    }
  }
  nameTaken_ = !ours;
  if (!ours) changed.clear();
  const std::string mine = config_.keyPrefix + "usage:" + replica_;
  std::vector<RedisCommand> commands;
  if (ours) commands.push_back({"PEXPIRE", claim, claimTtlMs});
  for (std::size_t i = 0; i < changed.size(); i += kFieldsPerCommand) {
    RedisCommand hset{"HSET", mine};
    for (std::size_t j = i; j < std::min(changed.size(), i + kFieldsPerCommand); ++j) {
      hset.push_back(changed[j].first);
      hset.push_back(encodeUsage(changed[j].second));
    }
    commands.push_back(std::move(hset));
  }
  commands.push_back({"SADD", config_.keyPrefix + "replicas", replica_});
  commands.push_back({"SMEMBERS", config_.keyPrefix + "replicas"});
  std::vector<RedisReply> replies;
  if (!pipelineWithoutErrors(redis_, commands, replies, problem)) return false;
  for (auto& [id, figures] : changed) pushedUsage_[id] = figures;

  std::vector<RedisCommand> reads;
  for (const RedisReply& member : replies.back().items) {
    if (member.text != replica_) reads.push_back({"HGETALL", config_.keyPrefix + "usage:" + member.text});
  }
  std::unordered_map<std::string, UsageFigures> others;
  if (!reads.empty()) {
    if (!redis_.pipeline(reads, replies, problem)) return false;
    for (const RedisReply& hash : replies) {
      for (std::size_t i = 0; i + 1 < hash.items.size(); i += 2) {
        auto figures = decodeUsage(hash.items[i + 1].text);
        if (!figures) continue;
        UsageFigures& sum = others[hash.items[i].text];
        sum.allowed += figures->allowed;
        sum.denied += figures->denied;
        sum.lastUsedMs = std::max(sum.lastUsedMs, figures->lastUsedMs);
      }
    }
  }
  for (const auto& [id, sum] : others) usage_.forKey(id).setOthers(sum.allowed, sum.denied, sum.lastUsedMs);
  for (auto it = othersShown_.begin(); it != othersShown_.end();) {
    if (others.count(*it)) {
      ++it;
      continue;
    }
    usage_.forKey(*it).setOthers(0, 0, 0);  // gone from Redis (flushed): show ours only
    it = othersShown_.erase(it);
  }
  for (const auto& [id, sum] : others) othersShown_.insert(id);
  return true;
}

}  // namespace keyward
