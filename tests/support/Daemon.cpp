#include "support/Daemon.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <regex>
#include <stdexcept>
#include <thread>

namespace keyward::test {
namespace {

pid_t spawn(const std::string& binary, const std::vector<std::string>& args, const Env& env, int in, int out, int err) {
  std::vector<std::string> envStrings = {"PATH=/usr/local/bin:/usr/bin:/bin"};
  for (const auto& [k, v] : env) envStrings.push_back(k + "=" + v);
  std::vector<char*> argv{const_cast<char*>(binary.c_str())};
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<char*> envp;
  for (auto& e : envStrings) envp.push_back(e.data());
  envp.push_back(nullptr);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(in, 0);
    dup2(out, 1);
    dup2(err, 2);
    // The test runner may block signals; the daemon must start with a clean mask.
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, nullptr);
    execve(binary.c_str(), argv.data(), envp.data());
    _exit(127);
  }
  return pid;
}

}  // namespace

Daemon::Daemon(const std::string& binary, std::vector<std::string> args, Env env) {
  int in = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  int out = ::open(dir_.file("stdout").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int err = ::open(dir_.file("stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  pid_ = spawn(binary, args, env, in, out, err);
  ::close(in);
  ::close(out);
  ::close(err);
  if (pid_ < 0) throw std::runtime_error("fork failed");
}

Daemon::~Daemon() {
  if (pid_ > 0 && !exitCode_) {
    ::kill(pid_, SIGKILL);
    int status;
    waitpid(pid_, &status, 0);
  }
}

bool Daemon::waitUntilServing(std::chrono::milliseconds timeout) {
  static const std::regex listen("\"event\":\"started\".*\"listen\":\"[^\"]*:([0-9]+)\"");
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::smatch m;
    std::string text = out();
    if (std::regex_search(text, m, listen)) {
      port_ = std::stoi(m[1]);
      return true;
    }
    if (waitExit(std::chrono::milliseconds(0))) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

void Daemon::signal(int sig) const { ::kill(pid_, sig); }

std::optional<int> Daemon::waitExit(std::chrono::milliseconds timeout) {
  if (exitCode_) return exitCode_;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  do {
    int status = 0;
    pid_t r = waitpid(pid_, &status, WNOHANG);
    if (r == pid_) {
      exitCode_ = WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
      return exitCode_;
    }
    if (timeout.count() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  } while (std::chrono::steady_clock::now() < deadline);
  return std::nullopt;
}

std::string Daemon::out() const { return readFile(dir_.file("stdout")); }
std::string Daemon::err() const { return readFile(dir_.file("stderr")); }

bool Daemon::waitForLog(const std::string& text, int count, std::chrono::milliseconds timeout) const {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (countOccurrences(out(), text) >= count) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

CommandResult runCommand(const std::string& binary, std::vector<std::string> args, const std::string& input, Env env) {
  TempDir dir;
  std::string inPath = dir.write("stdin", input);
  int in = ::open(inPath.c_str(), O_RDONLY | O_CLOEXEC);
  int out = ::open(dir.file("stdout").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  int err = ::open(dir.file("stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  pid_t pid = spawn(binary, args, env, in, out, err);
  ::close(in);
  ::close(out);
  ::close(err);
  int status = 0;
  waitpid(pid, &status, 0);
  CommandResult result;
  result.exitCode = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  result.out = readFile(dir.file("stdout"));
  result.err = readFile(dir.file("stderr"));
  return result;
}

int countOccurrences(const std::string& haystack, const std::string& needle) {
  int n = 0;
  for (std::size_t pos = haystack.find(needle); pos != std::string::npos; pos = haystack.find(needle, pos + 1)) ++n;
  return n;
}

}  // namespace keyward::test
