#pragma once
// Publishes immutable snapshots (the key set) to reader threads. A writer builds a new
// object aside and publishes it in one step; readers never see a half-built one.
//
// Why not std::atomic<std::shared_ptr>: readers on the request path would pay an atomic
// reference-count round trip per request. Instead each reader thread keeps its own
// shared_ptr copy and checks one atomic generation counter, refreshing under the mutex
// only when it changed (once per reload, not per request).

#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>

namespace keyward {

template <class T>
class Published {
 public:
  // Thread-safe. Returns the new generation (1 for the first value).
  std::uint64_t publish(std::shared_ptr<const T> value) {
    std::lock_guard<std::mutex> lock(mutex_);
    value_ = std::move(value);
    std::uint64_t next = generation_.load(std::memory_order_relaxed) + 1;
    generation_.store(next, std::memory_order_release);
    return next;
  }

  // Thread-safe.
  std::shared_ptr<const T> current() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return value_;
  }

  std::uint64_t generation() const { return generation_.load(std::memory_order_acquire); }

 private:
  mutable std::mutex mutex_;
  std::shared_ptr<const T> value_;
  std::atomic<std::uint64_t> generation_{0};
};

// One per reader thread; not thread-safe itself.
template <class T>
class SnapshotReader {
 public:
  explicit SnapshotReader(const Published<T>& source) : source_(source) {}

  // The latest published value. Costs one atomic load unless a new value was published.
  const T* get() {
    std::uint64_t generation = source_.generation();
    if (generation != seen_) {
      // Read the generation before the value: a publish in between is caught next call.
      value_ = source_.current();
      seen_ = generation;
    }
    return value_.get();
  }

 private:
  const Published<T>& source_;
  std::shared_ptr<const T> value_;
  std::uint64_t seen_ = 0;
};

}  // namespace keyward
