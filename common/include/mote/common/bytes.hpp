// A non-owning view of bytes. The codec never copies: every decoded field is a
// Bytes that points into the buffer the caller passed to the decoder, and stays
// valid exactly as long as that buffer does.
#pragma once

#include <cstddef>
#include <cstdint>

namespace mote::mqtt {

struct Bytes {
    const std::uint8_t* data = nullptr;
    std::size_t size = 0;

    constexpr Bytes() = default;
    constexpr Bytes(const std::uint8_t* d, std::size_t n) : data(d), size(n) {}

    // A view of a NUL-terminated string literal (without the terminator).
    static Bytes of(const char* s);
    static Bytes of(const char* s, std::size_t n) { return {reinterpret_cast<const std::uint8_t*>(s), n}; }

    constexpr bool empty() const { return size == 0; }
    constexpr std::uint8_t operator[](std::size_t i) const { return data[i]; }
    const char* chars() const { return reinterpret_cast<const char*>(data); }

    // A sub-view; the caller guarantees off + n <= size (never checked at run time on
    // the data path, asserted in debug builds).
    Bytes sub(std::size_t off, std::size_t n) const { return {data + off, n}; }
    Bytes from(std::size_t off) const { return {data + off, size - off}; }
};

bool operator==(Bytes a, Bytes b);
inline bool operator!=(Bytes a, Bytes b) { return !(a == b); }

}  // namespace mote::mqtt
