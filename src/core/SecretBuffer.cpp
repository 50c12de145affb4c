#include "keyward/SecretBuffer.h"

#include <openssl/crypto.h>

namespace keyward {

SecretBuffer::SecretBuffer(std::size_t capacity)
    : data_(new char[capacity == 0 ? 1 : capacity]), capacity_(capacity) {}

SecretBuffer::~SecretBuffer() { wipe(); }

SecretBuffer::SecretBuffer(SecretBuffer&& other) noexcept
    : data_(std::move(other.data_)), capacity_(other.capacity_), size_(other.size_) {
  other.capacity_ = other.size_ = 0;
}

SecretBuffer& SecretBuffer::operator=(SecretBuffer&& other) noexcept {
  if (this != &other) {
    wipe();
    data_ = std::move(other.data_);
    capacity_ = other.capacity_;
    size_ = other.size_;
    other.capacity_ = other.size_ = 0;
  }
  return *this;
}

void SecretBuffer::wipe() {
  if (data_) OPENSSL_cleanse(data_.get(), capacity_);
  size_ = 0;
}

}  // namespace keyward
