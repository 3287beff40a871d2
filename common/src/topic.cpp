// Topic names, topic filters, matching and shared subscriptions (§4.7, §4.8).
//
// Everything here is a single left-to-right pass with no recursion, so a filter of
// 65 000 levels costs linear time and constant stack (HOSTILE_INPUTS row 58,
// CVE-2019-11779).
#include "mote/common/topic.hpp"

#include <cstddef>
#include <cstdint>

#include "mote/common/utf8.hpp"

#include "why.hpp"

namespace mote::mqtt {
namespace {

constexpr std::uint8_t kSep = '/';
constexpr std::uint8_t kPlus = '+';
constexpr std::uint8_t kHash = '#';

constexpr Error filter_invalid(const char* cause) { return Error{Reason::TopicFilterInvalid, cause}; }

const char kSharePrefix[] = "$share/";
constexpr std::size_t kSharePrefixLen = sizeof(kSharePrefix) - 1;
constexpr std::size_t kBadShare = ~std::size_t{0};

// Where the Topic Filter inside `f` starts: 0 when `f` does not start with
// "$share/", the index after "$share/{ShareName}/" when it does, and kBadShare
// when that ShareName is malformed. [MQTT-4.8.2-1] The ShareName MUST be at least
// one character long and MUST NOT contain '/', '+' or '#'; it is followed by '/'
// and a Topic Filter.
std::size_t inner_start(const std::uint8_t* f, std::size_t size) {
    for (std::size_t i = 0; i < kSharePrefixLen; ++i) {
        if (i == size || f[i] != static_cast<std::uint8_t>(kSharePrefix[i])) return 0;
    }
    for (std::size_t i = kSharePrefixLen; i < size; ++i) {
        const std::uint8_t c = f[i];
        if (c == kSep) return i == kSharePrefixLen ? kBadShare : i + 1;
        if (c == kPlus || c == kHash) return kBadShare;
    }
    return kBadShare;  // no '/' and Topic Filter after the ShareName
}

// Wildcard placement and the level cap for a non-shared filter; UTF-8 is checked
// by the caller.
Error check_filter_shape(const std::uint8_t* p, const std::uint8_t* const end, std::size_t max_levels) {
    // [MQTT-4.7.3-1] Topic Filters MUST be at least one character long.
    if (p == end) return filter_invalid(MOTE_WHY("empty topic filter"));
    // '/' bytes still allowed: one fewer than the levels, and for max_levels == 0
    // the wrapped maximum, which no filter reaches.
    std::size_t seps_left = max_levels - 1;
    std::uint8_t prev = kSep;  // the filter starts a level
    for (; p != end; prev = *p++) {
        const std::uint8_t c = *p;
        if (c == kSep) {
            if (seps_left-- == 0) return filter_invalid(MOTE_WHY("too many topic levels"));
        } else if ((c | 8U) == kPlus) {  // '+' (0x2B) or '#' (0x23)
            // [MQTT-4.7.1-1] '#' MUST be on its own level and the last character.
            // [MQTT-4.7.1-2] '+' MUST occupy an entire level of the filter.
            if (prev != kSep || (p + 1 != end && (c == kHash || p[1] != kSep)))
                return filter_invalid(MOTE_WHY("'+' or '#' not alone in its level, or '#' not last"));
        }
    }
    return kOk;
}

Error bad_share() { return filter_invalid(MOTE_WHY("malformed $share/{ShareName}/ prefix")); }

}  // namespace

Error validate_topic_name(Bytes topic, bool strict_utf8) {
    // [MQTT-4.7.3-1] Topic Names MUST be at least one character long.
    if (topic.empty()) return Error{Reason::TopicNameInvalid, MOTE_WHY("empty topic name")};
    for (std::size_t i = 0; i < topic.size; ++i) {
        // [MQTT-3.3.2-2] The Topic Name MUST NOT contain wildcard characters.
        if (topic[i] == kPlus || topic[i] == kHash)
            return Error{Reason::TopicNameInvalid, MOTE_WHY("wildcard in topic name")};
    }
    return validate_utf8(topic, strict_utf8);
}

Error validate_topic_filter(Bytes filter, std::size_t max_levels, bool strict_utf8) {
    const std::size_t at = inner_start(filter.data, filter.size);
    if (at == kBadShare) return bad_share();
    // [MQTT-4.8.2-2] the filter after the ShareName is a valid, non-empty filter;
    // the level cap counts only that part.
    if (Error e = check_filter_shape(filter.data + at, filter.data + filter.size, max_levels)) return e;
    // "$share/" and the '/' after the ShareName are ASCII, so checking the whole
    // filter is checking the ShareName and the inner filter.
    if (Error e = validate_utf8(filter, strict_utf8)) return filter_invalid(e.cause);
    return kOk;
}

bool topic_matches(Bytes filter, Bytes topic) {
    const std::uint8_t* f = filter.data;
    const std::uint8_t* const fe = f + filter.size;
    const std::uint8_t* t = topic.data;
    const std::uint8_t* const te = t + topic.size;
    // [MQTT-4.7.2-1] A filter starting with a wildcard MUST NOT match a Topic Name
    // beginning with '$'.
    if (t != te && *t == '$' && f != fe && (*f == kPlus || *f == kHash)) return false;
    for (;;) {
        // At the start of a level in both.
        if (f != fe && *f == kHash) return true;  // '#' matches the rest
        // '+' matches exactly one level, even empty; any other level must be equal in
        // the filter and the topic, and end in both.
        const bool plus = f != fe && *f == kPlus;
        f += plus;
        for (; t != te && *t != kSep; ++t) {
            if (plus) continue;
            if (f == fe || *f != *t) return false;
            ++f;
        }
        if (!plus && f != fe && *f != kSep) return false;
        if (f == fe) return t == te;
        if (t == te) {
            // §4.7.1.2: "sport/#" also matches "sport", the parent level.
            return fe - f == 2 && f[1] == kHash;
        }
        ++f;  // both sit on '/' (in a valid filter)
        ++t;
    }
}

Error parse_shared(Bytes filter, SharedFilter& out) {
    out = SharedFilter{};
    const std::size_t at = inner_start(filter.data, filter.size);
    if (at == kBadShare) return bad_share();
    const Bytes inner = filter.from(at);
    if (at != 0) {
        // [MQTT-4.8.2-2] the filter after the ShareName is a valid, non-empty filter.
        if (Error e = check_filter_shape(inner.data, inner.data + inner.size, 0)) return e;
        if (Error e = validate_utf8(inner, false)) return filter_invalid(e.cause);
        out.is_shared = true;
        out.group = filter.sub(kSharePrefixLen, at - 1 - kSharePrefixLen);
    }
    out.filter = inner;
    return kOk;
}

std::size_t shared_filter_offset(Bytes valid_filter) {
    const std::size_t at = inner_start(valid_filter.data, valid_filter.size);
    return at == kBadShare ? 0 : at;
}

bool has_wildcard(Bytes filter) {
    for (std::size_t i = 0; i < filter.size; ++i) {
        if (filter[i] == kPlus || filter[i] == kHash) return true;
    }
    return false;
}

}  // namespace mote::mqtt
