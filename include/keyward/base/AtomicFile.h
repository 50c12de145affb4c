#pragma once
// Writes a file so that readers see either the old content or the new, never a mix: a
// hidden temporary file in the same directory, fsync, then rename (or link, to refuse
// replacing).

#include <sys/types.h>

#include <string>
#include <string_view>

namespace keyward {

struct AtomicWriteResult {
  bool ok = false;
  std::string problem;  // "already exists (use --force to replace it)", "cannot create ...: ..."
};

// Creates or replaces `path` with `content` and file mode `mode`. With `replace` false an
// existing file is left alone and reported. The temporary file is removed on failure.
AtomicWriteResult writeFileAtomically(const std::string& path, std::string_view content, mode_t mode, bool replace);

}  // namespace keyward
