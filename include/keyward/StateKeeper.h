#pragma once
// Keeps the UsageStore on disk under `state_dir`: reads it back at start, writes it when it
// has changed (at most once per interval) and at shutdown. A missing state file is a first
// start; a corrupt one is moved aside (state.json.corrupt-<time>) and reported, and keyward
// serves on with empty usage. Neither ever stops the daemon.

#include <chrono>
#include <string>

#include "keyward/UsageStore.h"

namespace keyward {

class StateKeeper {
 public:
  // `dir` empty: state is not kept (everything here is then a no-op).
  StateKeeper(UsageStore& store, std::string dir, std::chrono::milliseconds interval);

  // Creates the directory (0700) if needed and loads the state. Logs what happened.
  void open();
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
};

}  // namespace keyward
