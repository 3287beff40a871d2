// TLS listener options (mosquitto's names, docs/tls.md). The parser checks what it
// can without mbedTLS: files exist and are readable, values are well formed, the
// options of a listener make sense together. Loading the certificates and keys and
// checking cipher suite names happens in the net layer (tls/tls_context.cpp) before
// the broker starts, with the same "file:line: option: why" errors.
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <limits>

#include "config/config_options.hpp"

namespace mote::broker::config_detail {

TlsConfig* Parser::tls_section(const Line& ln) {
    if (current_ < 0) {
        // mosquitto 2.x also applies these to its default listener; Mote keeps TLS
        // explicit so that the plain default listener never turns into TLS by accident.
        fail(ln, "must follow a 'listener' line (TLS options apply to one listener)");
        return nullptr;
    }
    return &listeners_[static_cast<std::size_t>(current_)].tls;
}

bool Parser::tls_path(const Line& ln, std::string& out, OptionOrigin& at) {
    if (!one_arg(ln, "a path (without blanks)")) {
        return false;
    }
    out = ln.args[0];
    at.file = ln.file;
    at.line = ln.number;
    return true;
}

std::string check_readable(const std::string& path, bool dir) {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0) {
        return "cannot read '" + path + "': " + std::strerror(errno);
    }
    if (dir ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode)) {
        return "'" + path + "' is not a " + (dir ? "directory" : "regular file");
    }
    if (::access(path.c_str(), dir ? (R_OK | X_OK) : R_OK) != 0) {
        return "cannot read '" + path + "': " + std::strerror(errno);
    }
    return {};
}

bool Parser::on_certfile(const Line& ln) {
    TlsConfig* t = tls_section(ln);
    if (t == nullptr || !tls_path(ln, t->certfile, t->certfile_at)) {
        return false;
    }
    const std::string why = check_readable(t->certfile, false);
    return why.empty() || fail(ln, why);
}

bool Parser::on_keyfile(const Line& ln) {
    TlsConfig* t = tls_section(ln);
    if (t == nullptr || !tls_path(ln, t->keyfile, t->keyfile_at)) {
        return false;
    }
    const std::string why = check_readable(t->keyfile, false);
    return why.empty() || fail(ln, why);
}

bool Parser::on_cafile(const Line& ln) {
    TlsConfig* t = tls_section(ln);
    if (t == nullptr || !tls_path(ln, t->cafile, t->cafile_at)) {
        return false;
    }
    const std::string why = check_readable(t->cafile, false);
    return why.empty() || fail(ln, why);
}

bool Parser::on_capath(const Line& ln) {
    TlsConfig* t = tls_section(ln);
    if (t == nullptr || !tls_path(ln, t->capath, t->capath_at)) {
        return false;
    }
    const std::string why = check_readable(t->capath, true);
    return why.empty() || fail(ln, why);
}

bool Parser::on_require_certificate(const Line& ln) {
    TlsConfig* t = tls_section(ln);
    return t != nullptr && boolean(ln, t->require_certificate);
}

bool Parser::on_use_identity_as_username(const Line& ln) {
    TlsConfig* t = tls_section(ln);
    return t != nullptr && boolean(ln, t->use_identity_as_username);
}

bool Parser::on_tls_version(const Line& ln) {
    TlsConfig* t = tls_section(ln);
    return t != nullptr && tls_version_value(ln, t->tls_version);
}

// tls_version and bridge_tls_version: the one version mbedTLS 2.28 offers.
bool Parser::tls_version_value(const Line& ln, std::string& out) {
    if (!one_arg(ln, "tlsv1.2")) {
        return false;
    }
    const std::string& v = ln.args[0];
    if (v == "tlsv1.2") {
        out = v;
        return true;
    }
    if (v == "tlsv1.3") {
        return fail(ln, "tlsv1.3 is not available: Debian 12's mbedTLS 2.28 implements TLS 1.2 only; "
                        "use tlsv1.2 (see docs/tls.md)");
    }
    if (v == "tlsv1.1" || v == "tlsv1") {
        return fail(ln, v + " is not supported: TLS 1.0 and 1.1 are obsolete (RFC 8996); use tlsv1.2");
    }
    return fail(ln, "expected tlsv1.2, got '" + v + "'");
}

bool Parser::on_ciphers(const Line& ln) {
    TlsConfig* t = tls_section(ln);
    if (t == nullptr || !one_arg(ln, "mbedTLS cipher suite names separated by ':'")) {
        return false;
    }
    t->ciphers = ln.args[0];
    t->ciphers_at.file = ln.file;
    t->ciphers_at.line = ln.number;
    return true;
}

bool Parser::on_tls_handshake_timeout(const Line& ln) {
    std::uint64_t v = 0;
    if (!number(ln, 1, 3600, v)) {
        return false;
    }
    cfg_.tls_handshake_timeout = static_cast<std::uint32_t>(v);
    return true;
}

bool Parser::on_max_tls_handshakes(const Line& ln) {
    std::uint64_t v = 0;
    if (!number(ln, 1, 1000000, v)) {
        return false;
    }
    cfg_.max_tls_handshakes = static_cast<std::uint32_t>(v);
    return true;
}

// Options that only make sense together; reported at the listener's line, naming
// the option and where it was given.
bool Parser::finish_tls(const std::vector<ListenerConfig>& all) {
    for (std::size_t i = 0; i < all.size(); ++i) {
        const ListenerConfig& l = all[i];
        const TlsConfig& t = l.tls;
        auto bad = [&](const char* option, const std::string& message) {
            err_.file = l.file;
            err_.line = l.line;
            err_.option = option;
            err_.message = message;
            return false;
        };
        auto at = [&](const char* option) {
            // Listener sections are numbered as in seen_ (the default listener has none).
            if (default_listener_used_ && i == 0) {
                return std::string();
            }
            const std::size_t section = default_listener_used_ ? i - 1 : i;
            const auto it = seen_.find(std::string(option) + "#" + std::to_string(section));
            return it == seen_.end() ? std::string() : " (" + it->second + ")";
        };
        if (!t.enabled()) {
            for (const char* option : {"keyfile", "cafile", "capath", "require_certificate",
                                       "use_identity_as_username", "tls_version", "ciphers"}) {
                if (!at(option).empty()) {
                    return bad(option, std::string("given") + at(option) +
                                           " but the listener has no certfile: TLS needs certfile and keyfile");
                }
            }
            continue;
        }
        if (t.keyfile.empty()) {
            return bad("keyfile", "certfile" + at("certfile") + " is set but keyfile is missing");
        }
        if (t.require_certificate && t.cafile.empty() && t.capath.empty()) {
            return bad("require_certificate", std::string("require_certificate true") + at("require_certificate") +
                                                  " needs cafile or capath to verify client certificates");
        }
        if (t.use_identity_as_username && !t.require_certificate) {
            // Without require_certificate no certificate is requested, so there would
            // never be an identity: every client would be refused.
            return bad("use_identity_as_username", std::string("use_identity_as_username true") +
                                                       at("use_identity_as_username") +
                                                       " needs require_certificate true");
        }
    }
    return true;
}

}  // namespace mote::broker::config_detail
