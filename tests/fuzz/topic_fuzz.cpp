// libFuzzer target for UTF-8 and topic validation, $share parsing and matching.
//
// Input layout: byte 0 picks the split point between a filter and a topic (as a
// fraction of the rest), byte 1 a level cap; the rest is filter bytes then topic
// bytes. topic_matches() is checked against a plain reference matcher that splits
// both strings into levels, and the validators against the rules they state.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "mote/common/topic.hpp"
#include "mote/common/utf8.hpp"

using namespace mote::mqtt;

namespace {

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "topic_fuzz: %s\n", what);
    std::abort();
}

std::vector<std::string> levels(Bytes s) {
    std::vector<std::string> out(1);
    for (std::size_t i = 0; i < s.size; ++i) {
        if (s[i] == '/') {
            out.emplace_back();
        } else {
            out.back().push_back(static_cast<char>(s[i]));
        }
    }
    return out;
}

// §4.7 matching, written the obvious way.
bool reference_match(Bytes filter, Bytes topic) {
    if (topic.size > 0 && topic[0] == '$' && filter.size > 0 && (filter[0] == '+' || filter[0] == '#')) return false;
    const std::vector<std::string> f = levels(filter);
    const std::vector<std::string> t = levels(topic);
    for (std::size_t i = 0; i < f.size(); ++i) {
        if (f[i] == "#") return true;
        if (i >= t.size()) return false;
        if (f[i] != "+" && f[i] != t[i]) return false;
    }
    return f.size() == t.size();
}

bool contains(Bytes s, std::uint8_t c) {
    for (std::size_t i = 0; i < s.size; ++i) {
        if (s[i] == c) return true;
    }
    return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 2) return 0;
    const Bytes rest{data + 2, size - 2};
    const std::size_t cut = rest.size * data[0] / 255U;
    const std::size_t cap = data[1] % 16U;  // 0 = no cap
    const Bytes filter = rest.sub(0, cut);
    const Bytes topic = rest.from(cut);

    // UTF-8: strict acceptance implies lenient acceptance; U+0000 never passes.
    const bool strict_ok = validate_utf8(rest, true).ok();
    const bool lenient_ok = validate_utf8(rest, false).ok();
    if (strict_ok && !lenient_ok) fail("strict UTF-8 accepted what lenient rejected");
    if (lenient_ok && contains(rest, 0)) fail("U+0000 accepted [MQTT-1.5.4-2]");

    const bool name_ok = validate_topic_name(topic).ok();
    if (name_ok && (topic.empty() || has_wildcard(topic))) fail("invalid topic name accepted");

    const bool filter_ok = validate_topic_filter(filter, cap).ok();
    SharedFilter sf;
    const bool share_ok = parse_shared(filter, sf).ok();
    if (filter_ok && !share_ok) fail("valid filter that parse_shared rejects");
    if (filter_ok && cap != 0 && levels(sf.filter).size() > cap) fail("level cap not enforced");
    if (filter_ok && !validate_topic_filter(filter, 0, false).ok()) fail("strict filter rejected leniently");
    if (share_ok && sf.is_shared) {
        if (sf.group.empty() || contains(sf.group, '/') || has_wildcard(sf.group) || sf.filter.empty()) {
            fail("bad share accepted [MQTT-4.8.2-1]");
        }
    }

    if (filter_ok && name_ok && !sf.is_shared) {
        if (topic_matches(filter, topic) != reference_match(filter, topic)) fail("topic_matches disagrees with the reference");
        if (!has_wildcard(filter) && validate_topic_name(filter).ok() && !topic_matches(filter, filter)) {
            fail("a wildcard-free filter does not match itself");
        }
    }
    return 0;
}
