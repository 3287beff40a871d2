// UTF-8 validation for MQTT strings (§1.5.4 of 5.0, §1.5.3 of 3.1.1).
//
// A single forward pass over the bytes with no decoding table: each sequence is
// decoded to its code point, which must then lie in the range its length encodes
// without being overlong, outside the surrogates and at most U+10FFFF (RFC 3629 §3,
// §4). Printable ASCII costs one comparison per byte.
#include "mote/common/utf8.hpp"

#include <cstddef>
#include <cstdint>

#include "why.hpp"

namespace mote::mqtt {
namespace {

constexpr Error malformed(const char* cause) { return Error{Reason::MalformedPacket, cause}; }

}  // namespace

Error validate_utf8(Bytes s, bool strict) {
    const std::uint8_t* p = s.data;
    const std::uint8_t* const end = p + s.size;
    while (p != end) {
        std::uint32_t cp = *p++;
        if (cp - 0x20U < 0x5FU) continue;  // printable ASCII (U+0020..U+007E), the common case
        if (cp >= 0x80U) {
            // [MQTT-1.5.4-1] ill-formed UTF-8 (including surrogates) is Malformed.
            // A lead byte is C2..F4: 80..BF are continuation bytes, C0 and C1 can
            // only start overlong forms, F5..FF only values above U+10FFFF.
            if (cp - 0xC2U > 0xF4U - 0xC2U) return malformed(MOTE_WHY("ill-formed UTF-8 lead byte"));
            // n, the number of continuation bytes, is 1 plus the 1 bits that follow
            // the lead's leading 11: 1 for C2..DF, 2 for E0..EF, 3 for F0..F4.
            std::uint32_t n = 1;
            std::uint32_t bit = 0x20U;
            for (; (cp & bit) != 0; bit >>= 1) ++n;
            if (static_cast<std::size_t>(end - p) < n) return malformed(MOTE_WHY("truncated UTF-8 sequence"));
            // A code point that needs n = 2 or 3 continuation bytes is at least
            // 2^(5n+1) (U+0800, U+10000); below that the form is overlong (E0 80..9F,
            // F0 80..8F). For n = 1 the bound is only 2^6, but the overlong two-byte
            // forms are exactly those with lead C0 or C1, refused above.
            const std::uint32_t min_bits = 5 * n + 1;
            cp &= bit - 1;  // the lead's payload bits: those below the 0 that ends its 1s
            for (; n != 0; --n) {
                const std::uint32_t c = *p++ - 0x80U;  // 00..3F for a continuation byte
                if (c > 0x3FU) return malformed(MOTE_WHY("ill-formed UTF-8 continuation byte"));
                cp = (cp << 6) | c;
            }
            // The surrogates U+D800..U+DFFF are exactly the values with cp >> 11 == 0x1B.
            if ((cp >> min_bits) == 0 || (cp >> 16) > 0x10U || (cp >> 11) == (0xD800U >> 11))
                return malformed(MOTE_WHY("ill-formed UTF-8 (overlong, surrogate or above U+10FFFF)"));
        }
        // [MQTT-1.5.4-2] A UTF-8 Encoded String MUST NOT include U+0000.
        if (cp == 0) return malformed(MOTE_WHY("UTF-8 string contains U+0000"));
        // §1.5.4: a receiver MAY treat the controls U+0001..U+001F and U+007F..U+009F
        // and the non-characters (U+FDD0..U+FDEF and U+xxFFFE/U+xxFFFF) as Malformed;
        // Mote does in strict mode (HOSTILE_INPUTS row 24). (U+FDD0..U+FDEF are the
        // code points that reach U+FE00..U+FE1F when 0x30 is added.)
        if (strict && (cp < 0x20U || cp - 0x7FU <= 0x20U || ((cp + 0x30U) >> 5) == (0xFE00U >> 5) ||
                       (cp & 0xFFFEU) == 0xFFFEU))
            return malformed(MOTE_WHY("UTF-8 string contains a control character or a non-character"));
    }
    return kOk;
}

}  // namespace mote::mqtt
