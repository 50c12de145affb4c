#include "keyward/lifecycle/ReloadThread.h"

namespace keyward {

ReloadThread::ReloadThread(Work work) : work_(std::move(work)) {
  thread_ = std::thread([this] { run(); });
}

ReloadThread::~ReloadThread() { stop(std::chrono::milliseconds::max()); }

void ReloadThread::request(std::string trigger) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (stopping_) return;
  requested_ = true;
  trigger_ = std::move(trigger);
  wake_.notify_one();
}

bool ReloadThread::busy() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return requested_ || running_;
}

bool ReloadThread::stop(std::chrono::milliseconds timeout) {
  std::unique_lock<std::mutex> lock(mutex_);
  stopping_ = true;
  requested_ = false;
  wake_.notify_one();
  if (!thread_.joinable()) return ended_flag_;
  const auto done = [&] { return ended_flag_; };
  const bool ended = timeout == std::chrono::milliseconds::max() ? (ended_.wait(lock, done), true)
                                                                 : ended_.wait_for(lock, timeout, done);
  lock.unlock();
  if (ended) {
    thread_.join();
  } else {
    thread_.detach();  // stuck in the work: the caller ends the process
  }
  return ended;
}

void ReloadThread::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    wake_.wait(lock, [&] { return requested_ || stopping_; });
    if (stopping_) break;
    requested_ = false;
    running_ = true;
    const std::string trigger = trigger_;
    lock.unlock();
    work_(trigger);
    lock.lock();
    running_ = false;
  }
  ended_flag_ = true;
  ended_.notify_all();
}

}  // namespace keyward
