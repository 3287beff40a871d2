// Topic names, topic filters, matching and shared subscriptions (§4.7, §4.8).
#pragma once

#include <cstddef>
#include <cstdint>

#include "mote/common/bytes.hpp"
#include "mote/common/protocol.hpp"

namespace mote::mqtt {

// A Topic Name: at least one byte, no '+' or '#' [MQTT-3.3.2-2] [MQTT-4.7.3-1],
// and valid UTF-8 per utf8.hpp (`strict` as there).
Error validate_topic_name(Bytes topic, bool strict_utf8 = true);

// A Topic Filter: at least one byte, '#' only as the whole last level, '+' only as a
// whole level [MQTT-4.7.1-1] [MQTT-4.7.1-2], valid UTF-8, at most `max_levels` levels
// (0 means no limit). A filter starting with "$share/" must also parse as a shared
// subscription. Returns TopicFilterInvalid on failure.
Error validate_topic_filter(Bytes filter, std::size_t max_levels = 0, bool strict_utf8 = true);

// Whether `topic` (a valid Topic Name) matches `filter` (a valid, non-shared Topic
// Filter). Topics starting with '$' do not match filters starting with '+' or '#'
// [MQTT-4.7.2-1]. Runs in O(len(filter) + len(topic)) without recursion.
bool topic_matches(Bytes filter, Bytes topic);

// "$share/{ShareName}/{filter}": the group name is at least one character with no
// '/', '+' or '#', and the filter is a valid non-empty Topic Filter [MQTT-4.8.2-1]
// [MQTT-4.8.2-2].
struct SharedFilter {
    bool is_shared = false;
    Bytes group;   // empty when not shared
    Bytes filter;  // the filter to match (the whole input when not shared)
};
// Splits a filter; returns TopicFilterInvalid for a malformed "$share/..." filter.
Error parse_shared(Bytes filter, SharedFilter& out);

// For a filter that validate_topic_filter() accepted: the offset in it of the filter
// after "$share/{ShareName}/", or 0 when it is not shared. For any other input the
// result is unspecified but at most `valid_filter.size`, and nothing past the view
// is read.
std::size_t shared_filter_offset(Bytes valid_filter);

// For a filter that validate_topic_filter() accepted: the filter to match, i.e. the
// part after "$share/{ShareName}/", or the whole filter when it is not shared (the
// same view as parse_shared()'s `filter`, without parse_shared()'s checks). The view
// points into `valid_filter`.
inline Bytes shared_filter_inner(Bytes valid_filter) { return valid_filter.from(shared_filter_offset(valid_filter)); }

bool has_wildcard(Bytes filter);

}  // namespace mote::mqtt
