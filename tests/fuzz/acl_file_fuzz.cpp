// libFuzzer target for the ACL file parser and matcher (broker/src/auth/acl_file.hpp).
//
// Input layout: bytes up to the first 0xFF are the ACL file; after it, a client id,
// a user name and a topic separated by 0xFE (missing parts are empty; a user name
// part present means the client has one). A file that parses is asked about the
// topic for read, write and subscribe (an empty file must deny all three);
// acl_topic_matches() is checked against a plain level-by-level reference matcher.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "../../broker/src/auth/acl_file.hpp"

using namespace mote::broker::auth;

namespace {

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "acl_file_fuzz: %s\n", what);
    std::abort();
}

std::vector<std::string_view> levels(std::string_view s) {
    std::vector<std::string_view> out;
    std::size_t pos = 0;
    for (;;) {
        const std::size_t slash = s.find('/', pos);
        if (slash == std::string_view::npos) {
            out.push_back(s.substr(pos));
            return out;
        }
        out.push_back(s.substr(pos, slash - pos));
        pos = slash + 1;
    }
}

// mosquitto_topic_matches_sub, written the obvious way.
bool reference(std::string_view filter, std::string_view topic) {
    const auto f = levels(filter);
    const auto t = levels(topic);
    for (std::size_t i = 0; i < f.size(); ++i) {
        if (f[i] == "#" && i + 1 == f.size()) return true;
        if (i >= t.size()) return false;
        if (f[i] != "+" && f[i] != t[i]) return false;
    }
    return f.size() == t.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view all(reinterpret_cast<const char*>(data), size);
    const std::size_t cut = all.find('\xff');
    const std::string_view file = all.substr(0, cut);
    std::vector<std::string_view> parts;
    if (cut != std::string_view::npos) {
        std::string_view rest = all.substr(cut + 1);
        for (;;) {
            const std::size_t sep = rest.find('\xfe');
            parts.push_back(rest.substr(0, sep));
            if (sep == std::string_view::npos) break;
            rest = rest.substr(sep + 1);
        }
    }
    const bool has_user = parts.size() >= 2;
    parts.resize(std::max<std::size_t>(parts.size(), 3));
    const std::string_view topic = parts[2];
    // Filters with wildcards only as whole levels, as the parser accepts them.
    if (acl_topic_matches(parts[0], topic) != reference(parts[0], topic)) {
        bool wild_ok = true;
        for (std::string_view l : levels(parts[0])) {
            if (l.size() > 1 && l.find_first_of("+#") != std::string_view::npos) wild_ok = false;
        }
        const auto fl = levels(parts[0]);
        for (std::size_t i = 0; i + 1 < fl.size(); ++i) wild_ok = wild_ok && fl[i] != "#";
        if (wild_ok) fail("acl_topic_matches disagrees with the reference");
    }
    AclFile acl;
    ParseError err;
    if (!AclFile::parse(file, acl, err)) {
        if (err.line < 1 || err.message.empty()) fail("error without line or message");
        return 0;
    }
    // Any answer is valid here; ASan/UBSan check how it is reached. One invariant:
    // an empty file (no rule at all) denies everything.
    const AclIdentity who{parts[0], parts[1], has_user};
    const bool r = acl.allowed(who, topic, kRead);
    const bool w = acl.allowed(who, topic, kWrite);
    const bool s = acl.may_subscribe(who, topic);
    if (file.find_first_not_of(" \t\r\n") == std::string_view::npos && (r || w || s)) {
        fail("an empty ACL allowed something");
    }
    return 0;
}
