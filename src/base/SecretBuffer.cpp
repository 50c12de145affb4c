#include "keyward/base/SecretBuffer.h"

#include <openssl/crypto.h>

#include "keyward/base/LargeAllocator.h"

namespace keyward {

// Large buffers (a big env file) come from allocateLarge: their own mapping, so the memory
// goes back to the system as soon as it is wiped and released.
SecretBuffer::SecretBuffer(std::size_t capacity)
    : data_(static_cast<char*>(allocateLarge(capacity == 0 ? 1 : capacity))), capacity_(capacity == 0 ? 1 : capacity) {}

SecretBuffer::~SecretBuffer() { release(); }

SecretBuffer::SecretBuffer(SecretBuffer&& other) noexcept
    : data_(other.data_), capacity_(other.capacity_), size_(other.size_) {
  other.data_ = nullptr;
  other.capacity_ = other.size_ = 0;
}

SecretBuffer& SecretBuffer::operator=(SecretBuffer&& other) noexcept {
  if (this != &other) {
    release();
    data_ = other.data_;
    capacity_ = other.capacity_;
    size_ = other.size_;
    other.data_ = nullptr;
    other.capacity_ = other.size_ = 0;
  }
  return *this;
}

void SecretBuffer::wipe() {
  if (data_) OPENSSL_cleanse(data_, capacity_);
  size_ = 0;
}

void SecretBuffer::release() {
  wipe();
  releaseLarge(data_, capacity_);
  data_ = nullptr;
  capacity_ = 0;
}

}  // namespace keyward
