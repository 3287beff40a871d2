// Loading the password and ACL files the configuration names (see security.hpp).
#include "auth/security.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <sstream>

namespace mote::broker::auth {

namespace {

// Files larger than this are refused: a password or ACL file is a few KB.
constexpr off_t kMaxFileBytes = 64 * 1024 * 1024;

bool read_text(const std::string& path, const char* option, std::string& text, ConfigError& err) {
    err.file = path;
    err.line = 0;
    err.option = option;
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        err.message = std::string("cannot read file: ") + std::strerror(errno);
        return false;
    }
    if (!S_ISREG(st.st_mode)) {
        err.message = "cannot read file: not a regular file";
        return false;
    }
    if (st.st_size > kMaxFileBytes) {
        err.message = "file larger than 64 MiB";
        return false;
    }
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        err.message = std::string("cannot read file: ") + std::strerror(errno);
        return false;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    text = ss.str();
    return true;
}

struct Cache {
    std::map<std::string, std::shared_ptr<const PasswordFile>> pw;
    std::map<std::string, std::shared_ptr<const AclFile>> acl;
};

// Adds where the option was set to an error about reading the file itself (a parse
// error already names the file's own line).
bool note_where(ConfigError& err, const std::string& where) {
    if (err.line == 0 && !where.empty()) err.message += " (set at " + where + ")";
    return false;
}

bool resolve(const std::string& pw_path, const std::string& acl_path, bool anon_given, bool anon,
             const std::string& pw_where, const std::string& acl_where, Cache& cache, ListenerSecurity& out,
             ConfigError& err) {
    out.password_file = pw_path;
    out.acl_file = acl_path;
    // Unset allow_anonymous: false once a password file applies (mosquitto 2.x
    // defaults to false with any listener), true otherwise (docs/security.md).
    out.allow_anonymous = anon_given ? anon : pw_path.empty();
    if (!pw_path.empty()) {
        auto it = cache.pw.find(pw_path);
        if (it == cache.pw.end()) {
            std::shared_ptr<const PasswordFile> p;
            if (!load_password_file(pw_path, p, err)) return note_where(err, pw_where);
            it = cache.pw.emplace(pw_path, p).first;
        }
        out.passwords = it->second;
    }
    if (!acl_path.empty()) {
        auto it = cache.acl.find(acl_path);
        if (it == cache.acl.end()) {
            std::shared_ptr<const AclFile> a;
            if (!load_acl_file(acl_path, a, err)) return note_where(err, acl_where);
            it = cache.acl.emplace(acl_path, a).first;
        }
        out.acl = it->second;
    }
    return true;
}

}  // namespace

bool load_password_file(const std::string& path, std::shared_ptr<const PasswordFile>& out, ConfigError& err) {
    std::string text;
    if (!read_text(path, "password_file", text, err)) return false;
    auto pf = std::make_shared<PasswordFile>();
    ParseError pe;
    if (!PasswordFile::parse(text, *pf, pe)) {
        err.line = pe.line;
        err.message = pe.message;
        return false;
    }
    out = std::move(pf);
    return true;
}

bool load_acl_file(const std::string& path, std::shared_ptr<const AclFile>& out, ConfigError& err) {
    std::string text;
    if (!read_text(path, "acl_file", text, err)) return false;
    auto acl = std::make_shared<AclFile>();
    ParseError pe;
    if (!AclFile::parse(text, *acl, pe)) {
        err.line = pe.line;
        err.message = pe.message;
        return false;
    }
    out = std::move(acl);
    return true;
}

bool load_security(const BrokerConfig& cfg, std::shared_ptr<const Security>& out, ConfigError& err) {
    auto sec = std::make_shared<Security>();
    Cache cache;
    if (!resolve(cfg.password_file, cfg.acl_file, cfg.allow_anonymous_given, cfg.allow_anonymous,
                 cfg.password_file_where, cfg.acl_file_where, cache, sec->global_, err)) {
        return false;
    }
    if (cfg.per_listener_settings) {
        for (const ListenerConfig& l : cfg.listeners) {
            // A `listener` section has its own set, inheriting nothing; the other
            // listeners use the options given before the first `listener` line.
            ListenerSecurity ls = l.security_section ? ListenerSecurity{} : sec->global_;
            if (l.security_section &&
                !resolve(l.password_file, l.acl_file, l.allow_anonymous_given, l.allow_anonymous,
                         l.password_file_where, l.acl_file_where, cache, ls, err)) {
                return false;
            }
            sec->per_listener_.push_back(std::move(ls));
        }
    }
    out = std::move(sec);
    return true;
}

}  // namespace mote::broker::auth
