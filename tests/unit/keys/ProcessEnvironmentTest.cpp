// processEnvironment(): a key variable leaves the environment at its first read and is
// still found by every later lookup (the reloader re-reads keys on each SIGHUP).

#include <gtest/gtest.h>
#include <stdlib.h>

#include "keyward/keys/KeySources.h"

namespace keyward {
namespace {

TEST(ProcessEnvironment, AKeyVariableIsRemovedAtItsFirstReadAndKeptForLaterOnes) {
  ::setenv("KEYWARD_TEST_KEY", "c2VjcmV0LXZhbHVlLXRoYXQtaXMtbG9uZy1lbm91Z2gtdG8tYmUtYS1rZXk=", 1);
  EnvLookup first = processEnvironment();
  EXPECT_EQ(first("KEYWARD_TEST_KEY"), "c2VjcmV0LXZhbHVlLXRoYXQtaXMtbG9uZy1lbm91Z2gtdG8tYmUtYS1rZXk=");
  EXPECT_EQ(::getenv("KEYWARD_TEST_KEY"), nullptr) << "still in the process environment";
  EXPECT_EQ(first("KEYWARD_TEST_KEY"), "c2VjcmV0LXZhbHVlLXRoYXQtaXMtbG9uZy1lbm91Z2gtdG8tYmUtYS1rZXk=");
  EnvLookup later = processEnvironment();  // e.g. a Reloader made afterwards
  EXPECT_EQ(later("KEYWARD_TEST_KEY"), "c2VjcmV0LXZhbHVlLXRoYXQtaXMtbG9uZy1lbm91Z2gtdG8tYmUtYS1rZXk=");
  EXPECT_EQ(later("KEYWARD_TEST_NOT_SET"), std::nullopt);
  ::setenv("KEYWARD_TEST_OTHER", "left alone", 1);
  EXPECT_STREQ(::getenv("KEYWARD_TEST_OTHER"), "left alone") << "variables never looked up stay";
}

}  // namespace
}  // namespace keyward
