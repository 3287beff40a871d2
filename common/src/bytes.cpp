// Bytes: the non-owning view every decoded field is made of.
#include "mote/common/bytes.hpp"

namespace mote::mqtt {

Bytes Bytes::of(const char* s) {
    std::size_t n = 0;
    if (s != nullptr) {
        while (s[n] != '\0') ++n;
    }
    return of(s, n);
}

bool operator==(Bytes a, Bytes b) {
    if (a.size != b.size) return false;
    for (std::size_t i = 0; i < a.size; ++i) {
        if (a.data[i] != b.data[i]) return false;
    }
    return true;
}

}  // namespace mote::mqtt
