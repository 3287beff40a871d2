#include "engine/subscription_trie.hpp"

#include <algorithm>

namespace mote::broker::detail {

struct SubscriptionTrie::Node {
    Node* parent = nullptr;
    std::string key;
    std::map<std::string, std::unique_ptr<Node>, std::less<>> children;
    std::vector<SubEntry> subs;
    std::map<std::string, SharedGroup, std::less<>> groups;
    // The "+" and "#" children, also in `children`: match() looks them up at every
    // level, so they are kept at hand.
    Node* plus = nullptr;
    Node* hash = nullptr;

    Node* child(std::string_view k) const {
        // Most nodes have a handful of children: comparing lengths first beats
        // the tree's ordered string comparisons there.
        if (children.size() <= kLinearChildren) {
            for (const auto& kv : children) {
                if (kv.first.size() == k.size() && kv.first == k) return kv.second.get();
            }
            return nullptr;
        }
        auto it = children.find(k);
        return it == children.end() ? nullptr : it->second.get();
    }
    static constexpr std::size_t kLinearChildren = 8;
    bool empty() const { return children.empty() && subs.empty() && groups.empty(); }
};

void split_levels(std::string_view topic, std::vector<std::string_view>& out) {
    out.clear();
    std::size_t start = 0;
    for (;;) {
        const std::size_t slash = topic.find('/', start);
        if (slash == std::string_view::npos) {
            out.push_back(topic.substr(start));
            return;
        }
        out.push_back(topic.substr(start, slash - start));
        start = slash + 1;
    }
}

SubscriptionTrie::SubscriptionTrie() : root_(std::make_unique<Node>()) {}
SubscriptionTrie::~SubscriptionTrie() {
    // Torn down with an explicit stack: the default destructor would recurse once
    // per level, and `max_topic_levels 0` allows filters of 65,536 levels (HOSTILE
    // row 58: no recursion on untrusted depth). prune() only ever erases leaves.
    std::vector<std::unique_ptr<Node>> pending;
    if (root_) pending.push_back(std::move(root_));
    while (!pending.empty()) {
        std::unique_ptr<Node> n = std::move(pending.back());
        pending.pop_back();
        for (auto& kv : n->children) pending.push_back(std::move(kv.second));
    }
}

SubscriptionTrie::Node* SubscriptionTrie::find_or_create(std::string_view filter) {
    split_levels(filter, levels_);
    Node* n = root_.get();
    for (std::string_view level : levels_) {
        Node* c = n->child(level);
        if (c == nullptr) {
            auto owned = std::make_unique<Node>();
            owned->parent = n;
            owned->key.assign(level);
            c = owned.get();
            if (level == "+") n->plus = c;
            if (level == "#") n->hash = c;
            n->children.emplace(std::string(level), std::move(owned));
            ++nodes_;
        }
        n = c;
    }
    return n;
}

SubscriptionTrie::Node* SubscriptionTrie::find(std::string_view filter) const {
    std::vector<std::string_view> levels;
    split_levels(filter, levels);
    Node* n = root_.get();
    for (std::string_view level : levels) {
        n = n->child(level);
        if (n == nullptr) return nullptr;
    }
    return n;
}

static bool upsert(std::vector<SubEntry>& v, const SubEntry& e) {
    for (SubEntry& x : v) {
        if (x.session == e.session) {
            // [MQTT-3.8.4-3]: a repeated filter replaces the existing subscription.
            x = e;
            return false;
        }
    }
    v.push_back(e);
    return true;
}

static bool erase_session(std::vector<SubEntry>& v, const Session* s) {
    auto it = std::find_if(v.begin(), v.end(), [s](const SubEntry& x) { return x.session == s; });
    if (it == v.end()) return false;
    v.erase(it);  // keeps the order, so round robin stays fair
    return true;
}

bool SubscriptionTrie::add(std::string_view filter, std::string_view group, const SubEntry& entry) {
    ++gen_;
    Node* n = find_or_create(filter);
    if (group.empty()) return upsert(n->subs, entry);
    auto it = n->groups.find(group);
    if (it == n->groups.end()) it = n->groups.emplace(std::string(group), SharedGroup{}).first;
    return upsert(it->second.members, entry);
}

bool SubscriptionTrie::remove(std::string_view filter, std::string_view group, const Session* session) {
    ++gen_;
    Node* n = find(filter);
    if (n == nullptr) return false;
    bool removed = false;
    if (group.empty()) {
        removed = erase_session(n->subs, session);
    } else {
        auto it = n->groups.find(group);
        if (it != n->groups.end()) {
            removed = erase_session(it->second.members, session);
            if (it->second.members.empty()) n->groups.erase(it);
        }
    }
    prune(n);
    return removed;
}

void SubscriptionTrie::prune(Node* n) {
    while (n != root_.get() && n->empty()) {
        Node* parent = n->parent;
        if (parent->plus == n) parent->plus = nullptr;
        if (parent->hash == n) parent->hash = nullptr;
        auto it = parent->children.find(n->key);
        parent->children.erase(it);  // destroys n
        --nodes_;
        n = parent;
    }
}

void SubscriptionTrie::collect(Node& n, std::vector<const SubEntry*>& subs, std::vector<SharedGroup*>& groups) {
    for (const SubEntry& e : n.subs) subs.push_back(&e);
    for (auto& g : n.groups) groups.push_back(&g.second);
}

void SubscriptionTrie::match(std::string_view topic, std::vector<const SubEntry*>& subs,
                             std::vector<SharedGroup*>& groups) {
    // The last topic first: a fan-in or fan-out stream repeats it without hashing.
    CacheEntry* last = &cache_[last_slot_];
    CacheEntry& slot = last->gen == gen_ && last->topic == topic
                           ? *last
                           : cache_[std::hash<std::string_view>{}(topic) % kCacheSlots];
    last_slot_ = static_cast<std::size_t>(&slot - cache_.data());
    if (slot.gen == gen_ && slot.topic == topic) {
        subs.insert(subs.end(), slot.subs.begin(), slot.subs.end());
        groups.insert(groups.end(), slot.groups.begin(), slot.groups.end());
        return;
    }
    const std::size_t first_sub = subs.size();
    const std::size_t first_group = groups.size();
    walk(topic, subs, groups);
    if (subs.size() - first_sub + groups.size() - first_group > kCacheMaxMatches) return;
    slot.topic.assign(topic);
    slot.gen = gen_;
    slot.subs.assign(subs.begin() + static_cast<std::ptrdiff_t>(first_sub), subs.end());
    slot.groups.assign(groups.begin() + static_cast<std::ptrdiff_t>(first_group), groups.end());
}

void SubscriptionTrie::walk(std::string_view topic, std::vector<const SubEntry*>& subs,
                            std::vector<SharedGroup*>& groups) {
    // Stack entries are (node, offset of the topic's next level); kEnd once every
    // level is consumed. The topic is not split into a vector of levels: each level
    // is found when its node is visited.
    // The order is mosquitto's (a 5.0 client gets one copy per matching
    // subscription, in this order): depth first, at each level the literal child,
    // then '+', then '#'; at the end of the topic the node, then its '#' child.
    // kHash marks a pending '#' collection of the entry's node.
    constexpr std::size_t kEnd = std::string_view::npos;
    constexpr std::size_t kHash = kEnd - 1;
    const bool dollar = !topic.empty() && topic[0] == '$';
    stack_.clear();
    stack_.emplace_back(root_.get(), 0);
    while (!stack_.empty()) {
        auto [node, pos] = stack_.back();
        stack_.pop_back();
        if (pos == kHash) {
            collect(*node->hash, subs, groups);
            continue;
        }
        // Wildcards at the first level never match a '$' topic [MQTT-4.7.2-1].
        const bool wild_ok = !(dollar && pos == 0);
        if (pos == kEnd) {
            collect(*node, subs, groups);
            // '#' matches the parent level too [MQTT-4.7.1-2]: "sport/#" matches "sport".
            if (node->hash != nullptr) collect(*node->hash, subs, groups);
            continue;
        }
        // '#' matches any number of levels [MQTT-4.7.1-2].
        if (wild_ok && node->hash != nullptr) stack_.emplace_back(node, kHash);
        const std::size_t slash = topic.find('/', pos);
        const std::string_view level = topic.substr(pos, slash == kEnd ? kEnd : slash - pos);
        const std::size_t next = slash == kEnd ? kEnd : slash + 1;
        if (wild_ok && node->plus != nullptr) stack_.emplace_back(node->plus, next);
        if (Node* exact = node->child(level)) {
            // A literal "+" or "#" level cannot occur in a topic name, so this never
            // double-counts the wildcard children.
            stack_.emplace_back(exact, next);
        }
    }
}

}  // namespace mote::broker::detail
