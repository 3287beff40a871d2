// The ACL file in mosquitto's format (mosquitto.conf(5), acl_file):
//   # comment
//   topic [read|write|readwrite|deny] TOPIC     rules before any 'user' line: anonymous clients
//   user NAME                                   the rules that follow are NAME's
//   pattern [read|write|readwrite|deny] TOPIC   every client; %c = client id, %u = user name
// TOPIC is the rest of the line and may use + and #. Without an access word the rule
// is readwrite.
//
// Matching follows mosquitto 2.0: a client's own rules (the anonymous section for a
// client without a user name) are tried first, then the patterns; within each list
// `deny` rules are tried before the others; the first rule whose topic matches and
// whose access covers the request decides; nothing matching is a denial. A topic
// starting with '$' only matches a rule starting with '$' (so `topic read #` does
// not open $SYS). Patterns are refused to a client whose user name or client id
// contains '+', '#' or '/', which could otherwise widen the pattern.
//
// SUBSCRIBE is checked by matching the filter, taken literally, against the rules
// with read access: `topic read a/#` allows subscribing to `a/#`, `a/+` and `a/b`,
// but not to `#`. (mosquitto 2.0.11 grants every SUBSCRIBE and filters on delivery
// only; Mote answers SUBACK 0x80 instead, see docs/security.md.)
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "password_file.hpp"

namespace mote::broker::auth {

enum Access : std::uint8_t { kNone = 0, kRead = 1, kWrite = 2, kReadWrite = 3 };

struct AclRule {
    std::string topic;
    std::uint8_t access = kReadWrite;  // kNone: deny
    bool has_c = false;                // pattern uses %c
    bool has_u = false;                // pattern uses %u
};

// Who is asking: the client id and, if the client gave one, its user name.
struct AclIdentity {
    std::string_view client_id;
    std::string_view username;
    bool has_username = false;
};

class AclFile {
public:
    // Parses the whole text; errors name the line (unknown keyword, missing topic or
    // user name, bad access word, invalid topic filter).
    static bool parse(std::string_view text, AclFile& out, ParseError& err);

    // Whether `who` may receive (kRead) or publish (kWrite) on topic name `topic`.
    bool allowed(const AclIdentity& who, std::string_view topic, Access access) const;
    // Whether `who` may subscribe to `filter` (not a $share/ prefix: the caller
    // passes the filter inside it).
    bool may_subscribe(const AclIdentity& who, std::string_view filter) const { return allowed(who, filter, kRead); }

private:
    static void add(std::vector<AclRule>& list, AclRule rule);
    bool check_list(const std::vector<AclRule>& rules, const AclIdentity& who, std::string_view topic, Access access,
                    bool patterns, bool& decided) const;

    std::vector<AclRule> anonymous_;
    std::unordered_map<std::string, std::vector<AclRule>> users_;
    std::vector<AclRule> patterns_;
};

// mosquitto_topic_matches_sub(): `filter` may contain + and #; `topic` is compared
// level by level literally (a '+' or '#' in it is just a character).
bool acl_topic_matches(std::string_view filter, std::string_view topic);

}  // namespace mote::broker::auth
