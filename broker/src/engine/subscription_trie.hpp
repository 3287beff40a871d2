// Subscriptions indexed by topic level: matching a topic walks only the branches
// its levels (and '+' / '#') lead to, never the whole tree. Shared subscriptions
// ($share/group/filter) hang off the node of their filter, one group per name.
// Nodes own their children; SubEntry holds a Session pointer that the engine removes
// (remove()) before the session is destroyed.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "engine/session.hpp"

namespace mote::broker::detail {

struct SubEntry {
    Session* session = nullptr;
    std::uint8_t qos = 0;
    bool no_local = false;
    bool retain_as_published = false;
    std::uint32_t sub_id = 0;
};

// Members of one shared subscription group; one of them gets each message.
struct SharedGroup {
    std::vector<SubEntry> members;
    std::size_t next = 0;  // round-robin cursor
};

class SubscriptionTrie {
public:
    SubscriptionTrie();
    ~SubscriptionTrie();
    SubscriptionTrie(const SubscriptionTrie&) = delete;
    SubscriptionTrie& operator=(const SubscriptionTrie&) = delete;

    // Adds or replaces the subscription of entry.session to `filter` (in `group`
    // when non-empty). Returns true when it did not exist before.
    bool add(std::string_view filter, std::string_view group, const SubEntry& entry);
    // Returns true when a subscription was removed.
    bool remove(std::string_view filter, std::string_view group, const Session* session);

    // Appends every matching plain subscription to `subs` and every matching shared
    // group to `groups`. Topics starting with '$' are not matched by filters that
    // start with a wildcard [MQTT-4.7.2-1]. No recursion: an explicit stack.
    // Results are cached per topic until the next add() or remove(): telemetry
    // publishes the same few topics over and over.
    void match(std::string_view topic, std::vector<const SubEntry*>& subs, std::vector<SharedGroup*>& groups);

    std::size_t node_count() const { return nodes_; }

private:
    struct Node;
    Node* find_or_create(std::string_view filter);
    Node* find(std::string_view filter) const;
    void prune(Node* n);
    static void collect(Node& n, std::vector<const SubEntry*>& subs, std::vector<SharedGroup*>& groups);
    void walk(std::string_view topic, std::vector<const SubEntry*>& subs, std::vector<SharedGroup*>& groups);

    // One slot of the match cache (direct-mapped by topic hash). Valid while `gen`
    // equals gen_: add() and remove() bump gen_, so no entry outlives a change of
    // the pointers it holds.
    struct CacheEntry {
        std::string topic;
        std::uint64_t gen = 0;
        std::vector<const SubEntry*> subs;
        std::vector<SharedGroup*> groups;
    };
    static constexpr std::size_t kCacheSlots = 16;
    static constexpr std::size_t kCacheMaxMatches = 1024;  // larger results are not kept

    std::unique_ptr<Node> root_;
    std::size_t nodes_ = 1;
    std::uint64_t gen_ = 1;
    std::array<CacheEntry, kCacheSlots> cache_;
    std::size_t last_slot_ = 0;  // the slot of the previous match()
    std::vector<std::string_view> levels_;  // scratch
    std::vector<std::pair<Node*, std::size_t>> stack_;  // scratch: (node, topic offset)
};

// Splits "a/b//c" into its levels ("a", "b", "", "c").
void split_levels(std::string_view topic, std::vector<std::string_view>& out);

}  // namespace mote::broker::detail
