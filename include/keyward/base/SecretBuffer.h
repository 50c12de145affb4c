#pragma once
// A fixed-capacity byte buffer for raw key material, wiped when it is destroyed. It never
// reallocates, so no stale copy of a secret is left behind in freed heap memory.

#include <cstddef>
#include <string_view>

namespace keyward {

class SecretBuffer {
 public:
  SecretBuffer() = default;
  explicit SecretBuffer(std::size_t capacity);
  ~SecretBuffer();
  SecretBuffer(SecretBuffer&& other) noexcept;
  SecretBuffer& operator=(SecretBuffer&& other) noexcept;
  SecretBuffer(const SecretBuffer&) = delete;
  SecretBuffer& operator=(const SecretBuffer&) = delete;

  char* data() { return data_; }
  std::size_t capacity() const { return capacity_; }
  std::size_t size() const { return size_; }
  void setSize(std::size_t size) { size_ = size < capacity_ ? size : capacity_; }
  std::string_view view() const { return {data_, size_}; }
  void wipe();

 private:
  void release();

  char* data_ = nullptr;
  std::size_t capacity_ = 0;
  std::size_t size_ = 0;
};

}  // namespace keyward
