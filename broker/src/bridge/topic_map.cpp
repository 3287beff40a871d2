#include "bridge/topic_map.hpp"

namespace mote::broker::bridge {

namespace {

bool swap_prefix(std::string_view from_prefix, const std::string& to_prefix, std::string_view topic,
                 std::string& out) {
    if (topic.substr(0, from_prefix.size()) != from_prefix) return false;
    out.assign(to_prefix);
    out.append(topic.substr(from_prefix.size()));
    return !out.empty();
}

}  // namespace

std::string local_filter(const BridgeTopic& t) { return t.local_prefix + t.pattern; }
std::string remote_filter(const BridgeTopic& t) { return t.remote_prefix + t.pattern; }

bool to_remote(const BridgeTopic& t, std::string_view local_topic, std::string& out) {
    return swap_prefix(t.local_prefix, t.remote_prefix, local_topic, out);
}

bool to_local(const BridgeTopic& t, std::string_view remote_topic, std::string& out) {
    return swap_prefix(t.remote_prefix, t.local_prefix, remote_topic, out);
}

}  // namespace mote::broker::bridge
