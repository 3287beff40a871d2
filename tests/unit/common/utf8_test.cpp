// UTF-8 validation tables: RFC 3629 well-formedness plus the MQTT rules
// [MQTT-1.5.4-1] [MQTT-1.5.4-2] and the strict policy of HOSTILE_INPUTS rows 23-24.
#include <CppUTest/TestHarness.h>

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "mote/common/utf8.hpp"

using mote::mqtt::Bytes;
using mote::mqtt::Error;
using mote::mqtt::Reason;
using mote::mqtt::validate_utf8;

namespace {

struct Case {
    const char* name;
    std::vector<std::uint8_t> bytes;
    bool valid_lenient;  // validate_utf8(s, false)
    bool valid_strict;   // validate_utf8(s, true)
};

Bytes view(const std::vector<std::uint8_t>& v) { return Bytes{v.data(), v.size()}; }

void check_table(const std::vector<Case>& table) {
    for (const Case& c : table) {
        const Error lenient = validate_utf8(view(c.bytes), false);
        const Error strict = validate_utf8(view(c.bytes), true);
        CHECK_TEXT(lenient.ok() == c.valid_lenient, c.name);
        CHECK_TEXT(strict.ok() == c.valid_strict, c.name);
        // Every rejection is a Malformed Packet [MQTT-1.5.4-1].
        if (!lenient.ok()) CHECK_TEXT(lenient.reason == Reason::MalformedPacket, c.name);
        if (!strict.ok()) CHECK_TEXT(strict.reason == Reason::MalformedPacket, c.name);
    }
}

}  // namespace

TEST_GROUP(Utf8) {};

TEST(Utf8, WellFormedSequencesOfEveryLength) {
    check_table({
        {"empty string", {}, true, true},
        {"ASCII", {'a', '/', 'Z', '~', ' '}, true, true},
        {"U+00A0 (first after C1)", {0xC2, 0xA0}, true, true},
        {"U+00E9", {0xC3, 0xA9}, true, true},
        {"U+07FF", {0xDF, 0xBF}, true, true},
        {"U+0800", {0xE0, 0xA0, 0x80}, true, true},
        {"U+20AC euro", {0xE2, 0x82, 0xAC}, true, true},
        {"U+D7FF (last before surrogates)", {0xED, 0x9F, 0xBF}, true, true},
        {"U+E000 (first after surrogates)", {0xEE, 0x80, 0x80}, true, true},
        {"U+FEFF BOM is not skipped or stripped [MQTT-1.5.4-3]", {0xEF, 0xBB, 0xBF}, true, true},
        {"U+FFFD", {0xEF, 0xBF, 0xBD}, true, true},
        {"U+10000", {0xF0, 0x90, 0x80, 0x80}, true, true},
        {"U+2A6D4 (HOSTILE row 24 must accept)", {0xF0, 0xAA, 0x9B, 0x94}, true, true},
        {"U+10FFFD", {0xF4, 0x8F, 0xBF, 0xBD}, true, true},
        {"mixed", {'x', 0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xF0, 0x9F, 0x98, 0x80, 'y'}, true, true},
    });
}

TEST(Utf8, IllFormedSequencesAreMalformed) {
    // [MQTT-1.5.4-1] ill-formed UTF-8 (RFC 3629) MUST be treated as Malformed.
    check_table({
        {"overlong U+0000 C0 80", {0xC0, 0x80}, false, false},
        {"overlong C1 BF", {0xC1, 0xBF}, false, false},
        {"overlong 3-byte E0 80 80", {0xE0, 0x80, 0x80}, false, false},
        {"overlong 3-byte E0 9F BF", {0xE0, 0x9F, 0xBF}, false, false},
        {"overlong 4-byte F0 8F BF BF", {0xF0, 0x8F, 0xBF, 0xBF}, false, false},
        {"surrogate U+D800 ED A0 80", {0xED, 0xA0, 0x80}, false, false},
        {"surrogate U+DFFF ED BF BF", {0xED, 0xBF, 0xBF}, false, false},
        {"U+110000 F4 90 80 80", {0xF4, 0x90, 0x80, 0x80}, false, false},
        {"lead F5", {0xF5, 0x80, 0x80, 0x80}, false, false},
        {"lead FF", {0xFF}, false, false},
        {"lone continuation 80", {0x80}, false, false},
        {"lone continuation BF after ASCII", {'a', 0xBF}, false, false},
        {"truncated 2-byte", {0xC3}, false, false},
        {"truncated 3-byte", {0xE2, 0x82}, false, false},
        {"truncated 4-byte", {0xF0, 0xAA, 0x9B}, false, false},
        {"truncated then ASCII", {0xE2, 0x82, 'a'}, false, false},
        {"bad third byte", {0xF0, 0xAA, 0x1B, 0x94}, false, false},
        {"bad fourth byte", {0xF0, 0xAA, 0x9B, 0xC4}, false, false},
    });
}

TEST(Utf8, NullIsAlwaysMalformed) {
    // [MQTT-1.5.4-2] MUST NOT include an encoding of U+0000.
    check_table({
        {"U+0000 alone", {0x00}, false, false},
        {"U+0000 inside", {'a', 0x00, 'b'}, false, false},
        {"U+0000 at end", {'a', 'b', 0x00}, false, false},
    });
}

TEST(Utf8, ControlsAndNonCharactersOnlyInStrictMode) {
    // §1.5.4: a receiver MAY treat controls and non-characters as Malformed; Mote's
    // strict mode does (HOSTILE_INPUTS row 24), the lenient mode accepts them.
    check_table({
        {"U+0001", {0x01}, true, false},
        {"U+001F", {'a', 0x1F}, true, false},
        {"U+0020 is fine", {0x20}, true, true},
        {"U+007E is fine", {0x7E}, true, true},
        {"U+007F DEL", {0x7F}, true, false},
        {"U+0080", {0xC2, 0x80}, true, false},
        {"U+009F", {0xC2, 0x9F}, true, false},
        {"U+FDD0", {0xEF, 0xB7, 0x90}, true, false},
        {"U+FDEF", {0xEF, 0xB7, 0xAF}, true, false},
        {"U+FDCF is fine", {0xEF, 0xB7, 0x8F}, true, true},
        {"U+FDF0 is fine", {0xEF, 0xB7, 0xB0}, true, true},
        {"U+FFFE", {0xEF, 0xBF, 0xBE}, true, false},
        {"U+FFFF", {0xEF, 0xBF, 0xBF}, true, false},
        {"U+1FFFE", {0xF0, 0x9F, 0xBF, 0xBE}, true, false},
        {"U+10FFFF", {0xF4, 0x8F, 0xBF, 0xBF}, true, false},
    });
}

TEST(Utf8, EveryTwoByteCodePointAgreesWithTheDefinition) {
    // Exhaustive over all lead/continuation pairs: valid exactly when the lead is
    // C2..DF and the second byte is a continuation byte.
    for (unsigned a = 0x80; a <= 0xFF; ++a) {
        for (unsigned b = 0; b <= 0xFF; ++b) {
            const std::uint8_t s[2] = {static_cast<std::uint8_t>(a), static_cast<std::uint8_t>(b)};
            const bool expect = a >= 0xC2 && a <= 0xDF && (b & 0xC0U) == 0x80U;
            CHECK_EQUAL(expect, validate_utf8(Bytes{s, 2}, false).ok());
        }
    }
}

TEST(Utf8, DefaultIsStrict) {
    const std::uint8_t s[] = {0x01};
    CHECK_FALSE(validate_utf8(Bytes{s, 1}).ok());
}

namespace {

// The shortest form of `cp` (any value below 2^21) in `n` bytes, which is overlong
// when a shorter form exists.
std::size_t encode(std::uint32_t cp, std::size_t n, std::uint8_t* out) {
    if (n == 1) {
        out[0] = static_cast<std::uint8_t>(cp);
        return 1;
    }
    static const std::uint8_t kLead[] = {0, 0, 0xC0, 0xE0, 0xF0};
    for (std::size_t i = n - 1; i > 0; --i) {
        out[i] = static_cast<std::uint8_t>(0x80U | (cp & 0x3FU));
        cp >>= 6;
    }
    out[0] = static_cast<std::uint8_t>(kLead[n] | cp);
    return n;
}

}  // namespace

TEST(Utf8, EveryCodePointInEveryLengthAgreesWithTheDefinition) {
    // RFC 3629: a code point is valid in exactly its shortest form, except the
    // surrogates and anything above U+10FFFF; [MQTT-1.5.4-2] excludes U+0000; the
    // strict mode also the controls and non-characters (HOSTILE_INPUTS row 24).
    const std::uint32_t limit[] = {0, 0x80, 0x800, 0x10000, 0x200000};
    for (std::size_t n = 1; n <= 4; ++n) {
        for (std::uint32_t cp = 0; cp < limit[n]; ++cp) {
            std::uint8_t s[4];
            encode(cp, n, s);
            const bool shortest = cp >= limit[n - 1];
            const bool lenient = shortest && cp != 0 && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
            const bool noncharacter = (cp >= 0xFDD0 && cp <= 0xFDEF) || (cp & 0xFFFEU) == 0xFFFEU;
            const bool strict = lenient && cp >= 0x20 && !(cp >= 0x7F && cp <= 0x9F) && !noncharacter;
            if (validate_utf8(Bytes{s, n}, false).ok() != lenient || validate_utf8(Bytes{s, n}, true).ok() != strict) {
                FAIL(("code point " + std::to_string(cp) + " in " + std::to_string(n) + " bytes").c_str());
            }
            // Cut short, every form is truncated.
            if (n > 1) CHECK_FALSE(validate_utf8(Bytes{s, n - 1}, false).ok());
        }
    }
}
