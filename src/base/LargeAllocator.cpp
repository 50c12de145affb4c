#include "keyward/base/LargeAllocator.h"

#include <sys/mman.h>

#include <cstdint>

namespace keyward {
namespace {

constexpr std::size_t kHugePage = 2u << 20;

std::size_t mappedSize(std::size_t bytes) { return (bytes + kHugePage - 1) / kHugePage * kHugePage; }

}  // namespace

void* allocateLarge(std::size_t bytes) {
  if (bytes < kHugePage) return ::operator new(bytes == 0 ? 1 : bytes);
  const std::size_t size = mappedSize(bytes);
  // Map one huge page more than needed and cut to a 2 MiB boundary: the kernel can back
  // only aligned 2 MiB ranges with huge pages.
  void* raw = ::mmap(nullptr, size + kHugePage, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (raw == MAP_FAILED) throw std::bad_alloc();
  auto start = reinterpret_cast<std::uintptr_t>(raw);
  auto aligned = (start + kHugePage - 1) & ~(static_cast<std::uintptr_t>(kHugePage) - 1);
  if (aligned > start) ::munmap(raw, aligned - start);
  std::size_t tail = (start + size + kHugePage) - (aligned + size);
  if (tail > 0) ::munmap(reinterpret_cast<void*>(aligned + size), tail);
  void* block = reinterpret_cast<void*>(aligned);
  ::madvise(block, size, MADV_HUGEPAGE);  // advice only: without THP it is ignored
  return block;
}

void releaseLarge(void* block, std::size_t bytes) noexcept {
  if (!block) return;
  if (bytes < kHugePage) {
    ::operator delete(block);
    return;
  }
  ::munmap(block, mappedSize(bytes));
}

}  // namespace keyward
