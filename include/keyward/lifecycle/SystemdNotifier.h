#pragma once
// The systemd notify protocol (sd_notify(3)), spoken directly over $NOTIFY_SOCKET: one
// datagram per state change to a unix socket (a path, or '@' for the abstract namespace).
// Without NOTIFY_SOCKET every call is a no-op, so keyward runs unchanged outside systemd.

#include <chrono>
#include <string>
#include <string_view>

namespace keyward {

class SystemdNotifier {
 public:
  // Reads NOTIFY_SOCKET, WATCHDOG_USEC and WATCHDOG_PID from the environment.
  SystemdNotifier();
  bool enabled() const { return !socketPath_.empty(); }

  void ready(std::string_view status);
  // RELOADING=1 with MONOTONIC_USEC (so Type=notify-reload works too).
  void reloading();
  void status(std::string_view status);
  void stopping();
  // Sends WATCHDOG=1 if a watchdog is configured and half its interval has passed.
  void watchdogTick();
  // How often watchdogTick() must be called; zero if no watchdog.
  std::chrono::microseconds watchdogInterval() const { return watchdog_; }

  // Sends `message` as one datagram. False if there is no socket or sending failed.
  bool send(std::string_view message);

 private:
  std::string socketPath_;
  std::chrono::microseconds watchdog_{0};
  std::chrono::steady_clock::time_point lastPing_{};
};

}  // namespace keyward
