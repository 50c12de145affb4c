#include "keyward/app/CliOptions.h"

#include <algorithm>
#include <iostream>

namespace keyward {

CliOptions::CliOptions(std::string command, std::string synopsis, std::string footer)
    : command_(std::move(command)), synopsis_(std::move(synopsis)), footer_(std::move(footer)) {}

CliOptions& CliOptions::value(const std::string& name, std::string& into, const std::string& metavar,
                              const std::string& help) {
  options_.push_back({name, &into, nullptr, metavar, help});
  return *this;
}

CliOptions& CliOptions::flag(const std::string& name, bool& into, const std::string& help) {
  options_.push_back({name, nullptr, &into, "", help});
  return *this;
}

const CliOptions::Option* CliOptions::find(const std::string& name) const {
  auto it = std::find_if(options_.begin(), options_.end(), [&](const Option& o) { return o.name == name; });
  return it == options_.end() ? nullptr : &*it;
}

std::string CliOptions::help() const {
  std::string text = "usage: " + synopsis_ + "\n\noptions:\n";
  std::size_t width = 0;
  auto left = [](const Option& o) { return "--" + o.name + (o.metavar.empty() ? "" : " " + o.metavar); };
  for (const Option& o : options_) width = std::max(width, left(o).size());
  for (const Option& o : options_) {
    std::string l = left(o);
    text += "  " + l + std::string(width - l.size() + 2, ' ') + o.help + "\n";
  }
  text += "  -h, --help" + std::string(width > 8 ? width - 8 : 2, ' ') + "show this help and exit\n";
  text += "  -V, --version" + std::string(width > 11 ? width - 11 : 2, ' ') + "print the version and exit\n";
  if (!footer_.empty()) text += "\n" + footer_ + (footer_.back() == '\n' ? "" : "\n");
  return text;
}

int CliOptions::usageError(const std::string& problem) const {
  std::cerr << command_ << ": " << problem << "\nusage: " << synopsis_ << "\n(" << command_
            << " --help shows every option)\n";
  return 2;
}

std::optional<int> CliOptions::parse(const std::vector<std::string>& args, std::vector<std::string>& positionals) {
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "-h" || a == "--help") {
      std::cout << help();
      return 0;
    }
    if (a == "-V" || a == "--version") {
      std::cout << command_ << " (keyward) " << KEYWARD_VERSION << "\n";
      return 0;
    }
    if (a == "--") {
      positionals.insert(positionals.end(), args.begin() + static_cast<long>(i) + 1, args.end());
      break;
    }
    if (a.size() < 2 || a[0] != '-') {
      positionals.push_back(a);
      continue;
    }
    if (a.rfind("--", 0) != 0) return usageError("unknown option '" + a + "'");
    const std::size_t eq = a.find('=');
    const std::string name = a.substr(2, eq == std::string::npos ? std::string::npos : eq - 2);
    const Option* option = find(name);
    if (!option) return usageError("unknown option '--" + name + "'");
    if (option->flag) {
      if (eq != std::string::npos) return usageError("--" + name + " takes no value");
      *option->flag = true;
      continue;
    }
    if (eq != std::string::npos) {
      *option->value = a.substr(eq + 1);
    } else if (i + 1 < args.size()) {
      *option->value = args[++i];
    } else {
      return usageError("--" + name + " needs a value (" + option->metavar + ")");
    }
  }
  return std::nullopt;
}

}  // namespace keyward
