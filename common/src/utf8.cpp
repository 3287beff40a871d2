// UTF-8 validation for MQTT strings (§1.5.4 of 5.0, §1.5.3 of 3.1.1).
//
// A single forward pass over the bytes with no decoding table: each lead byte selects
// the allowed range of the second byte (which is where overlong forms, surrogates and
// code points above U+10FFFF are excluded, as in RFC 3629 §4), and the remaining
// bytes must be plain continuation bytes.
#include "mote/common/utf8.hpp"

#include <cstddef>
#include <cstdint>

#include "why.hpp"

namespace mote::mqtt {
namespace {

constexpr Error malformed(const char* cause) { return Error{Reason::MalformedPacket, cause}; }

bool is_cont(std::uint8_t b) { return (b & 0xC0U) == 0x80U; }

// Non-characters: U+FDD0..U+FDEF and the last two code points of every plane.
bool is_noncharacter(std::uint32_t cp) {
    return (cp >= 0xFDD0U && cp <= 0xFDEFU) || (cp & 0xFFFEU) == 0xFFFEU;
}

// The sequence length for a lead byte and the allowed range of its second byte;
// 0 for a byte that cannot start a sequence (continuation, C0/C1 overlong leads,
// F5..FF).
struct Lead {
    std::uint8_t len;
    std::uint8_t lo;
    std::uint8_t hi;
};

Lead classify(std::uint8_t b) {
    if (b < 0xC2U || b > 0xF4U) return {0, 0, 0};
    Lead l{static_cast<std::uint8_t>(b < 0xE0U ? 2 : b < 0xF0U ? 3 : 4), 0x80, 0xBF};
    if (b == 0xE0U) l.lo = 0xA0;  // below A0 would be overlong
    if (b == 0xEDU) l.hi = 0x9F;  // A0..BF would be a surrogate
    if (b == 0xF0U) l.lo = 0x90;  // below 90 would be overlong
    if (b == 0xF4U) l.hi = 0x8F;  // above 8F would exceed U+10FFFF
    return l;
}

}  // namespace

Error validate_utf8(Bytes s, bool strict) {
    std::size_t i = 0;
    while (i < s.size) {
        const std::uint8_t b = s[i];
        if (b < 0x80U) {
            // [MQTT-1.5.4-2] A UTF-8 Encoded String MUST NOT include U+0000.
            if (b == 0) return malformed(MOTE_WHY("UTF-8 string contains U+0000"));
            if (strict && (b < 0x20U || b == 0x7FU))
                return malformed(MOTE_WHY("UTF-8 string contains a control character"));
            ++i;
            continue;
        }
        // [MQTT-1.5.4-1] ill-formed UTF-8 (including surrogates) is Malformed.
        const Lead lead = classify(b);
        if (lead.len == 0) return malformed(MOTE_WHY("ill-formed UTF-8 lead byte"));
        if (s.size - i < lead.len) return malformed(MOTE_WHY("truncated UTF-8 sequence"));
        const std::uint8_t b1 = s[i + 1];
        if (b1 < lead.lo || b1 > lead.hi)
            return malformed(MOTE_WHY("ill-formed UTF-8 (overlong, surrogate or above U+10FFFF)"));
        std::uint32_t cp = b & (0x7FU >> lead.len);  // the lead's payload bits
        cp = (cp << 6) | (b1 & 0x3FU);
        for (std::size_t k = 2; k < lead.len; ++k) {
            const std::uint8_t bk = s[i + k];
            if (!is_cont(bk)) return malformed(MOTE_WHY("ill-formed UTF-8 continuation byte"));
            cp = (cp << 6) | (bk & 0x3FU);
        }
        if (strict) {
            // §1.5.4: a receiver MAY treat U+007F..U+009F and non-characters as
            // Malformed; Mote does in strict mode (HOSTILE_INPUTS row 24).
            if (cp <= 0x9FU) return malformed(MOTE_WHY("UTF-8 string contains a control character"));
            if (is_noncharacter(cp)) return malformed(MOTE_WHY("UTF-8 string contains a non-character"));
        }
        i += lead.len;
    }
    return kOk;
}

}  // namespace mote::mqtt
