// The reasons people read when they paste the wrong thing as a key (issue 14): each names
// the actual mistake, not a decoder detail.

#include <gtest/gtest.h>

#include "keyward/keys/KeyText.h"

namespace keyward {
namespace {

struct MessageCase {
  const char* why;
  std::string text;
  std::string expected;  // a part of the reason
};

TEST(KeyTextMessages, NameTheMistake) {
  const std::string padded = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
  const std::vector<MessageCase> cases = {
      {"a password is too short, not 'non-canonical base64'", "hunter2", "too short"},
      {"a short word", "abc", "too short"},
      {"42 characters cannot hold 32 bytes", std::string(41, 'A') + "Q", "too short"},
      {"a padded key with a trailing space: whitespace, not '=' before the end", padded + " ", "ends with whitespace"},
      {"a trailing tab", padded + "\t", "ends with whitespace"},
      {"a leading space", " " + padded, "starts with whitespace"},
      {"a space after the padding but before more text", padded + " x", "contains whitespace"},
  };
  for (const MessageCase& c : cases) {
    std::string problem(keyTextProblem(c.text));
    EXPECT_NE(problem.find(c.expected), std::string::npos) << c.why << ": got '" << problem << "'";
  }
}

}  // namespace
}  // namespace keyward
