#pragma once
// Keeps the UsageStore on disk under `state_dir`: reads it back at start, writes it when it
// has changed (at most once per interval) and at shutdown. Missing files are a first start.
// A corrupt state.json (usage) is moved aside (state.json.corrupt-<time>) and reported, and
// keyward serves on with empty usage. A corrupt revoked.json or suspended.json — or a corrupt state.json from
// before revocations had their own file — stops the start instead: forgetting a
// revocation or a suspension would accept a revoked or leaked key again (fail closed).

#include <chrono>
#include <string>

#include "keyward/lifecycle/UsageStore.h"

namespace keyward {

class StateKeeper {
 public:
  // `dir` empty: state is not kept (everything here is then a no-op).
  StateKeeper(UsageStore& store, std::string dir, std::chrono::milliseconds interval);

  // Creates the directory (0700) if needed and loads the state. Logs what happened. False:
  // the revocations cannot be read, do not serve (problem() says why).
  bool open();
  const std::string& problem() const { return problem_; }
  // Saves if the interval has passed since the last save and something changed.
  void tick();
  // Saves now if anything changed (after a reload that revoked keys, at shutdown).
  void flush();

 private:
  bool save();

  UsageStore& store_;
  std::string dir_;
  std::chrono::milliseconds interval_;
  std::chrono::steady_clock::time_point lastSave_;
  std::string problem_;
};

}  // namespace keyward
