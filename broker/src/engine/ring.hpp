// A FIFO ring buffer for a session's queued and in-flight deliveries. Unlike
// std::deque (whose libstdc++ implementation allocates a 512-byte node and a map
// even when empty) an empty Ring owns no memory, so an idle session costs only
// sizeof(Ring). Pushing at the back and popping at the front are O(1); erasing in
// the middle shifts the later elements (O(n)), which the drop policy and
// out-of-order acknowledgements need only rarely.
//
// Ownership: the Ring owns its elements; references returned by operator[] and
// front() stay valid until the next push_back, erase or clear.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

namespace mote::broker::detail {

template <typename T>
class Ring {
public:
    bool empty() const { return size_ == 0; }
    std::size_t size() const { return size_; }

    T& operator[](std::size_t i) { return buf_[(head_ + i) & (cap_ - 1)]; }
    const T& operator[](std::size_t i) const { return buf_[(head_ + i) & (cap_ - 1)]; }
    T& front() { return buf_[head_]; }
    T& back() { return (*this)[size_ - 1]; }

    void push_back(T&& v) {
        if (size_ == cap_) grow();
        (*this)[size_] = std::move(v);
        ++size_;
    }

    // Moves the front element out.
    T pop_front() {
        T v = std::move(buf_[head_]);
        buf_[head_] = T{};  // drop what the moved-from slot may still hold
        head_ = (head_ + 1) & (cap_ - 1);
        --size_;
        if (size_ == 0) settle();
        return v;
    }

    // Removes element i, keeping the order of the others; the front goes in O(1).
    void erase(std::size_t i) {
        if (i == 0) {
            (void)pop_front();
            return;
        }
        for (std::size_t k = i; k + 1 < size_; ++k) (*this)[k] = std::move((*this)[k + 1]);
        (*this)[size_ - 1] = T{};
        --size_;
        if (size_ == 0) settle();
    }

    void clear() {
        buf_.reset();
        cap_ = 0;
        head_ = 0;
        size_ = 0;
    }

private:
    // Capacity is a power of two so that indexing is a mask.
    void grow() {
        const std::uint32_t cap = cap_ == 0 ? kMinCapacity : cap_ * 2;
        std::unique_ptr<T[]> bigger(new T[cap]);
        for (std::size_t i = 0; i < size_; ++i) bigger[i] = std::move((*this)[i]);
        buf_ = std::move(bigger);
        cap_ = cap;
        head_ = 0;
    }

    // Called when the ring became empty: a large buffer left by a burst is given
    // back, a small one is kept for the next message.
    void settle() {
        head_ = 0;
        if (cap_ > kKeepCapacity) clear();
    }

    static constexpr std::uint32_t kMinCapacity = 4;
    static constexpr std::uint32_t kKeepCapacity = 64;

    std::unique_ptr<T[]> buf_;
    std::uint32_t cap_ = 0;
    std::uint32_t head_ = 0;
    std::uint32_t size_ = 0;
};

}  // namespace mote::broker::detail
