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

bool starts_with_share(Bytes f) {
    if (f.size < kSharePrefixLen) return false;
    for (std::size_t i = 0; i < kSharePrefixLen; ++i) {
        if (f[i] != static_cast<std::uint8_t>(kSharePrefix[i])) return false;
    }
    return true;
}

// Wildcard placement and the level cap for a non-shared filter; UTF-8 is checked
// by the caller.
Error check_filter_shape(Bytes f, std::size_t max_levels) {
    // [MQTT-4.7.3-1] Topic Filters MUST be at least one character long.
    if (f.empty()) return filter_invalid(MOTE_WHY("empty topic filter"));
    std::size_t levels = 1;
    std::uint8_t prev = kSep;  // the filter starts a level
    for (std::size_t i = 0; i < f.size; prev = f[i], ++i) {
        const std::uint8_t c = f[i];
        const bool last = i + 1 == f.size;
        if (c == kSep) {
            ++levels;
            if (max_levels != 0 && levels > max_levels) return filter_invalid(MOTE_WHY("too many topic levels"));
        } else if (c == kHash) {
            // [MQTT-4.7.1-1] '#' MUST be on its own level and the last character.
            if (prev != kSep || !last) return filter_invalid(MOTE_WHY("'#' not alone in the last level"));
        } else if (c == kPlus) {
            // [MQTT-4.7.1-2] '+' MUST occupy an entire level of the filter.
            if (prev != kSep || !(last || f[i + 1] == kSep))
                return filter_invalid(MOTE_WHY("'+' not alone in its level"));
        }
    }
    return kOk;
}

Error check_filter(Bytes f, std::size_t max_levels, bool strict_utf8) {
    if (Error e = check_filter_shape(f, max_levels)) return e;
    if (Error e = validate_utf8(f, strict_utf8)) return filter_invalid(e.cause);
    return kOk;
}

// Advances `i` to the next '/' or the end of `s`.
std::size_t level_end(Bytes s, std::size_t i) {
    while (i < s.size && s[i] != kSep) ++i;
    return i;
}

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
    // parse_shared() hands back a filter without "$share/" unchanged.
    SharedFilter sf;
    if (Error e = parse_shared(filter, sf)) return e;
    if (sf.is_shared) {
        if (Error e = validate_utf8(sf.group, strict_utf8)) return filter_invalid(e.cause);
    }
    return check_filter(sf.filter, max_levels, strict_utf8);
}

bool topic_matches(Bytes filter, Bytes topic) {
    // [MQTT-4.7.2-1] A filter starting with a wildcard MUST NOT match a Topic Name
    // beginning with '$'.
    if (!topic.empty() && topic[0] == '$' && !filter.empty() && (filter[0] == kPlus || filter[0] == kHash)) {
        return false;
    }
    std::size_t fi = 0;
    std::size_t ti = 0;
    for (;;) {
        // At the start of a level in both.
        if (fi < filter.size && filter[fi] == kHash) return true;  // '#' matches the rest
        if (fi < filter.size && filter[fi] == kPlus) {
            ++fi;
            ti = level_end(topic, ti);  // '+' matches exactly one level, even empty
        } else {
            while (fi < filter.size && ti < topic.size && filter[fi] != kSep && topic[ti] != kSep) {
                if (filter[fi] != topic[ti]) return false;
                ++fi;
                ++ti;
            }
            const bool f_boundary = fi == filter.size || filter[fi] == kSep;
            const bool t_boundary = ti == topic.size || topic[ti] == kSep;
            if (!f_boundary || !t_boundary) return false;
        }
        const bool f_end = fi == filter.size;
        const bool t_end = ti == topic.size;
        if (f_end && t_end) return true;
        if (f_end) return false;
        if (t_end) {
            // §4.7.1.2: "sport/#" also matches "sport", the parent level.
            return fi + 2 == filter.size && filter[fi + 1] == kHash;
        }
        ++fi;  // both sit on '/'
        ++ti;
    }
}

Error parse_shared(Bytes filter, SharedFilter& out) {
    out = SharedFilter{};
    if (!starts_with_share(filter)) {
        out.filter = filter;
        return kOk;
    }
    const std::size_t g0 = kSharePrefixLen;
    const std::size_t g1 = level_end(filter, g0);
    // [MQTT-4.8.2-1] The ShareName MUST be at least one character long and MUST NOT
    // contain '/', '+' or '#'; it is followed by '/' and a Topic Filter.
    if (g1 == g0) return filter_invalid(MOTE_WHY("empty share name"));
    if (g1 == filter.size) return filter_invalid(MOTE_WHY("shared subscription without a topic filter"));
    for (std::size_t i = g0; i < g1; ++i) {
        if (filter[i] == kPlus || filter[i] == kHash) return filter_invalid(MOTE_WHY("wildcard in share name"));
    }
    const Bytes inner = filter.from(g1 + 1);
    // [MQTT-4.8.2-2] the filter after the ShareName is a valid, non-empty filter.
    if (Error e = check_filter(inner, 0, false)) return e;
    out.is_shared = true;
    out.group = filter.sub(g0, g1 - g0);
    out.filter = inner;
    return kOk;
}

bool has_wildcard(Bytes filter) {
    for (std::size_t i = 0; i < filter.size; ++i) {
        if (filter[i] == kPlus || filter[i] == kHash) return true;
    }
    return false;
}

}  // namespace mote::mqtt
