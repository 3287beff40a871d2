// ACL file parsing and matching (see acl_file.hpp).
#include "auth/acl_file.hpp"

namespace mote::broker::auth {

namespace {

constexpr std::size_t kMaxLineBytes = 65535 + 64;

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

std::string_view first_word(std::string_view s, std::string_view& rest) {
    const std::size_t sp = s.find_first_of(" \t");
    if (sp == std::string_view::npos) {
        rest = std::string_view();
        return s;
    }
    rest = trim(s.substr(sp));
    return s.substr(0, sp);
}

// A rule topic: a topic filter as MQTT defines it (wildcards whole levels), with no
// NUL. Patterns are checked with their %c/%u in place, which are plain characters.
bool valid_rule_topic(std::string_view t, std::string& why) {
    if (t.empty()) {
        why = "missing topic";
        return false;
    }
    if (t.size() > 65535) {
        why = "topic longer than 65535 bytes";
        return false;
    }
    for (std::size_t i = 0; i < t.size(); ++i) {
        const char c = t[i];
        if (c == '\0') {
            why = "NUL character in topic";
            return false;
        }
        const bool level_start = i == 0 || t[i - 1] == '/';
        const bool level_end = i + 1 == t.size() || t[i + 1] == '/';
        if (c == '+' && !(level_start && level_end)) {
            why = "'+' must be a whole topic level";
            return false;
        }
        if (c == '#' && !(level_start && i + 1 == t.size())) {
            why = "'#' must be the last topic level";
            return false;
        }
    }
    return true;
}

bool bad_for_pattern(std::string_view s) { return s.find_first_of("+#/") != std::string_view::npos; }

std::string expand(const AclRule& r, const AclIdentity& who) {
    std::string out;
    out.reserve(r.topic.size() + 16);
    for (std::size_t i = 0; i < r.topic.size(); ++i) {
        if (r.topic[i] == '%' && i + 1 < r.topic.size()) {
            if (r.topic[i + 1] == 'c') {
                out.append(who.client_id);
                ++i;
                continue;
            }
            if (r.topic[i + 1] == 'u' && who.has_username) {
                out.append(who.username);
                ++i;
                continue;
            }
        }
        out.push_back(r.topic[i]);
    }
    return out;
}

}  // namespace

bool acl_topic_matches(std::string_view filter, std::string_view topic) {
    // One pass over both strings, character by character (this runs on every
    // PUBLISH and every delivery when an ACL is set). At the top of the loop `i`
    // and `j` are at the start of a level of the filter and of the topic.
    std::size_t i = 0;
    std::size_t j = 0;
    while (i < filter.size()) {
        if (filter[i] == '#' && i + 1 == filter.size()) return true;  // the rest, parent level included
        if (filter[i] == '+' && (i + 1 == filter.size() || filter[i + 1] == '/')) {
            while (j < topic.size() && topic[j] != '/') ++j;  // any one level
            ++i;
        } else {
            while (i < filter.size() && filter[i] != '/') {
                if (j >= topic.size() || topic[j] != filter[i]) return false;
                ++i;
                ++j;
            }
            if (j < topic.size() && topic[j] != '/') return false;
        }
        // Both at the end of a level: '/' or the end of the string.
        if (i == filter.size()) return j == topic.size();
        ++i;  // past the filter's '/'
        if (j == topic.size()) {
            // The topic has no more levels: only a final "#" matches ("a/#" matches "a").
            return filter.substr(i) == "#";
        }
        ++j;  // past the topic's '/'
    }
    // The filter ended with '/': its last level is empty, and so must the topic's be.
    return j == topic.size();
}

void AclFile::add(std::vector<AclRule>& list, AclRule rule) {
    if (rule.access == kNone) {
        // mosquitto 2.0 puts deny rules first, so they win over any allow rule.
        std::size_t i = 0;
        while (i < list.size() && list[i].access == kNone) ++i;
        list.insert(list.begin() + static_cast<std::ptrdiff_t>(i), std::move(rule));
        return;
    }
    list.push_back(std::move(rule));
}

bool AclFile::parse(std::string_view text, AclFile& out, ParseError& err) {
    AclFile acl;
    std::vector<AclRule>* current = &acl.anonymous_;
    int number = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        const std::string_view raw = text.substr(pos, end - pos);
        pos = end + 1;
        ++number;
        if (raw.size() > kMaxLineBytes) {
            err = {number, "line longer than " + std::to_string(kMaxLineBytes) + " bytes"};
            return false;
        }
        const std::string_view line = trim(raw);
        if (line.empty() || line[0] == '#') continue;
        std::string_view rest;
        const std::string_view kw = first_word(line, rest);
        if (kw == "user") {
            if (rest.empty()) {
                err = {number, "user: missing user name"};
                return false;
            }
            current = &acl.users_[std::string(rest)];
            continue;
        }
        if (kw != "topic" && kw != "pattern") {
            err = {number, "unknown keyword '" + std::string(kw.substr(0, 64)) +
                                "' (expected topic, pattern or user)"};
            return false;
        }
        if (rest.empty()) {
            err = {number, std::string(kw) + ": missing topic"};
            return false;
        }
        AclRule rule;
        std::string_view topic = rest;
        std::string_view after;
        const std::string_view word = first_word(rest, after);
        if (!after.empty()) {
            if (word == "read") {
                rule.access = kRead;
            } else if (word == "write") {
                rule.access = kWrite;
            } else if (word == "readwrite") {
                rule.access = kReadWrite;
            } else if (word == "deny") {
                rule.access = kNone;
            } else {
                err = {number, std::string(kw) + ": unknown access '" + std::string(word.substr(0, 64)) +
                                   "' (expected read, write, readwrite or deny)"};
                return false;
            }
            topic = after;
        }
        std::string why;
        if (!valid_rule_topic(topic, why)) {
            err = {number, std::string(kw) + ": " + why};
            return false;
        }
        rule.topic.assign(topic);
        if (kw == "pattern") {
            rule.has_c = rule.topic.find("%c") != std::string::npos;
            rule.has_u = rule.topic.find("%u") != std::string::npos;
            add(acl.patterns_, std::move(rule));
        } else {
            add(*current, std::move(rule));
        }
    }
    out = std::move(acl);
    return true;
}

bool AclFile::check_list(const std::vector<AclRule>& rules, const AclIdentity& who, std::string_view topic,
                         Access access, bool patterns, bool& decided) const {
    for (const AclRule& r : rules) {
        if (patterns && r.has_u && !who.has_username) continue;  // %u cannot apply
        std::string expanded;
        std::string_view rt = r.topic;
        if (patterns && (r.has_c || r.has_u)) {
            expanded = expand(r, who);
            rt = expanded;
        }
        if (!topic.empty() && topic[0] == '$' && (rt.empty() || rt[0] != '$')) continue;
        if (!acl_topic_matches(rt, topic)) continue;
        if (r.access == kNone) {
            decided = true;
            return false;
        }
        if ((r.access & access) != 0) {
            decided = true;
            return true;
        }
    }
    return false;
}

bool AclFile::allowed(const AclIdentity& who, std::string_view topic, Access access) const {
    bool decided = false;
    const std::vector<AclRule>* own = &anonymous_;
    if (who.has_username) {
        auto it = users_.find(std::string(who.username));
        own = it == users_.end() ? nullptr : &it->second;
    }
    if (own != nullptr) {
        const bool ok = check_list(*own, who, topic, access, false, decided);
        if (decided) return ok;
    }
    if (patterns_.empty()) return false;
    if ((who.has_username && bad_for_pattern(who.username)) || bad_for_pattern(who.client_id)) return false;
    const bool ok = check_list(patterns_, who, topic, access, true, decided);
    return decided && ok;
}

}  // namespace mote::broker::auth
