// Topic remapping of a bridge's `topic` lines (mosquitto's rules): a message on
// LOCAL_PREFIX + T, with T matching PATTERN, goes upstream as REMOTE_PREFIX + T, and
// the other way for `in`. With an empty PATTERN the prefixes are whole topic names.
// Pure functions over strings: unit-tested without a loop or a socket.
#pragma once

#include <string>
#include <string_view>

#include "mote/broker/config.hpp"

namespace mote::broker::bridge {

// The filter to subscribe to on each side: prefix + pattern.
std::string local_filter(const BridgeTopic& t);
std::string remote_filter(const BridgeTopic& t);

// `topic` as seen on the other side. False when it does not start with the side's
// prefix (a message the mapping cannot place; the bridge drops it and logs).
bool to_remote(const BridgeTopic& t, std::string_view local_topic, std::string& out);
bool to_local(const BridgeTopic& t, std::string_view remote_topic, std::string& out);

inline bool goes_out(const BridgeTopic& t) { return t.direction != BridgeDirection::In; }
inline bool comes_in(const BridgeTopic& t) { return t.direction != BridgeDirection::Out; }

}  // namespace mote::broker::bridge
