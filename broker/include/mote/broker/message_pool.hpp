// A per-loop free list for Message allocations. Every PUBLISH creates one Message
// and frees it once the last subscriber's write completed, usually many at a time
// after a writev; glibc's per-thread cache holds only 7 blocks per size, so most of
// those frees and the next mallocs took its slow paths (about 300 instructions per
// message on the fan-in path). The pool keeps up to kMaxFree blocks (about 1 MiB)
// of the one size Message::make() asks for.
//
// Ownership and lifetime: owned by the Engine (one per event loop; not thread
// safe). Every Message allocated from it must be released before the pool is
// destroyed: the Engine declares it first, so its sessions and retained messages
// go before it, and the net layer releases its references before the Engine.
#pragma once

#include <cstddef>
#include <new>

namespace mote::broker {

class MessagePool {
public:
    MessagePool() = default;
    MessagePool(const MessagePool&) = delete;
    MessagePool& operator=(const MessagePool&) = delete;
    ~MessagePool() {
        while (free_ != nullptr) {
            Block* b = free_;
            free_ = b->next;
            ::operator delete(b);
        }
    }

    void* get(std::size_t n) {
        if (n == size_ && free_ != nullptr) {
            Block* b = free_;
            free_ = b->next;
            --count_;
            return b;
        }
        if (size_ == 0 && n >= sizeof(Block)) size_ = n;  // the first request fixes the size
        return ::operator new(n);
    }

    void put(void* p, std::size_t n) {
        if (n != size_ || count_ >= kMaxFree) {
            ::operator delete(p);
            return;
        }
        auto* b = static_cast<Block*>(p);
        b->next = free_;
        free_ = b;
        ++count_;
    }

private:
    struct Block {
        Block* next;
    };
    static constexpr std::size_t kMaxFree = 4096;
    Block* free_ = nullptr;
    std::size_t size_ = 0;
    std::size_t count_ = 0;
};

// The allocator std::allocate_shared uses for Messages; null pool: plain new.
template <typename T>
struct PoolAllocator {
    using value_type = T;
    MessagePool* pool = nullptr;

    explicit PoolAllocator(MessagePool* p) : pool(p) {}
    template <typename U>
    PoolAllocator(const PoolAllocator<U>& o) : pool(o.pool) {}  // NOLINT(google-explicit-constructor): rebinding

    T* allocate(std::size_t n) {
        const std::size_t bytes = n * sizeof(T);
        return static_cast<T*>(pool != nullptr ? pool->get(bytes) : ::operator new(bytes));
    }
    void deallocate(T* p, std::size_t n) {
        if (pool != nullptr) {
            pool->put(p, n * sizeof(T));
        } else {
            ::operator delete(p);
        }
    }
    template <typename U>
    bool operator==(const PoolAllocator<U>& o) const { return pool == o.pool; }
    template <typename U>
    bool operator!=(const PoolAllocator<U>& o) const { return pool != o.pool; }
};

}  // namespace mote::broker
