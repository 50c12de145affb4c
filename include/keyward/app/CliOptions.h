#pragma once
// The one command-line parser of keyward's client subcommands (keys, verify, reload), so that
// they all follow the same conventions:
//   --name VALUE and --name=VALUE; -h/--help prints the usage on stdout and exits 0;
//   -V/--version prints the version and exits 0; `--` ends the options; anything else that
//   starts with '-' is an error (exit 2, on stderr, with a pointer to --help).
// Not thread-safe; one parser per invocation.

#include <optional>
#include <string>
#include <vector>

namespace keyward {

class CliOptions {
 public:
  // `command` as users type it ("keyward verify"); `synopsis` the usage lines without the
  // leading "usage: "; `footer` anything printed after the option list (exit codes, ...).
  CliOptions(std::string command, std::string synopsis, std::string footer = "");

  // An option that takes a value; the last occurrence wins.
  CliOptions& value(const std::string& name, std::string& into, const std::string& metavar, const std::string& help);
  // An option without a value.
  CliOptions& flag(const std::string& name, bool& into, const std::string& help);

  // nullopt: parsed, carry on (positional arguments in `positionals`). Otherwise the exit
  // code to return at once: 0 after --help/--version, 2 after a usage error (printed).
  std::optional<int> parse(const std::vector<std::string>& args, std::vector<std::string>& positionals);

  // Prints "<command>: <problem>" and the short usage on stderr; returns 2.
  int usageError(const std::string& problem) const;
  // The full help text (synopsis, options, footer).
  std::string help() const;

 private:
  struct Option {
    std::string name;  // without the leading "--"
    std::string* value = nullptr;
    bool* flag = nullptr;
    std::string metavar, help;
  };
  const Option* find(const std::string& name) const;

  std::string command_, synopsis_, footer_;
  std::vector<Option> options_;
};

}  // namespace keyward
