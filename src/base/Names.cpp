#include "keyward/base/Names.h"

namespace keyward {
namespace {
bool isAlnum(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'); }
}  // namespace

bool isValidName(std::string_view name) {
  if (name.empty() || name.size() > kMaxNameLength || !isAlnum(name[0])) return false;
  for (char c : name) {
    if (!isAlnum(c) && c != '.' && c != '_' && c != ':' && c != '@' && c != '+' && c != '-') return false;
  }
  return true;
}

bool isValidEnvName(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  for (char c : name) {
    if (!isAlnum(c) && c != '_') return false;
  }
  return true;
}

}  // namespace keyward
