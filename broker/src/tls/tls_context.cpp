// TLS over memory buffers, for listeners and for bridge uplinks (see tls_context.hpp).
#include "tls/tls_context.hpp"

#include <mbedtls/error.h>
#include <mbedtls/oid.h>
#include <mbedtls/ssl_ciphersuites.h>

#include <algorithm>
#include <cstdio>
#include <cstring>

namespace mote::broker::tls {

std::string error_text(int code) {
    char buf[160];
    mbedtls_strerror(code, buf, sizeof buf);
    return std::string(buf) + " (-0x" + [code] {
        char hex[16];
        std::snprintf(hex, sizeof hex, "%04X", static_cast<unsigned>(-code));
        return std::string(hex);
    }() + ")";
}

namespace {

bool fail_at(ConfigError& err, const ListenerConfig& l, const OptionOrigin& at, const char* option,
             const std::string& message) {
    err.file = at.line > 0 ? at.file : l.file;
    err.line = at.line > 0 ? at.line : l.line;
    err.option = option;
    err.message = message;
    return false;
}

}  // namespace

TlsContext::TlsContext() {
    mbedtls_ssl_config_init(&conf_);
    mbedtls_entropy_init(&entropy_);
    mbedtls_ctr_drbg_init(&drbg_);
    mbedtls_x509_crt_init(&cert_);
    mbedtls_x509_crt_init(&ca_);
    mbedtls_pk_init(&key_);
    mbedtls_ssl_cache_init(&cache_);
}

TlsContext::~TlsContext() {
    mbedtls_ssl_config_free(&conf_);
    mbedtls_ssl_cache_free(&cache_);
    mbedtls_pk_free(&key_);
    mbedtls_x509_crt_free(&ca_);
    mbedtls_x509_crt_free(&cert_);
    mbedtls_ctr_drbg_free(&drbg_);
    mbedtls_entropy_free(&entropy_);
}

std::unique_ptr<TlsContext> TlsContext::create(const ListenerConfig& l, ConfigError& err) {
    std::unique_ptr<TlsContext> ctx(new TlsContext);
    if (!ctx->load(l, err)) {
        return nullptr;
    }
    return ctx;
}

bool TlsContext::load(const ListenerConfig& l, ConfigError& err) {
    const TlsConfig& t = l.tls;
    static const char kPers[] = "mote-broker tls";
    int r = mbedtls_ctr_drbg_seed(&drbg_, mbedtls_entropy_func, &entropy_,
                                  reinterpret_cast<const unsigned char*>(kPers), sizeof kPers - 1);
    if (r != 0) {
        return fail_at(err, l, t.certfile_at, "certfile", "cannot seed the random generator: " + error_text(r));
    }
    r = mbedtls_x509_crt_parse_file(&cert_, t.certfile.c_str());
    if (r != 0) {
        return fail_at(err, l, t.certfile_at, "certfile",
                       "cannot load certificate '" + t.certfile + "': " + error_text(r));
    }
    r = mbedtls_pk_parse_keyfile(&key_, t.keyfile.c_str(), nullptr);
    if (r != 0) {
        return fail_at(err, l, t.keyfile_at, "keyfile",
                       "cannot load private key '" + t.keyfile + "' (PEM or DER, not encrypted): " +
                           error_text(r));
    }
    r = mbedtls_pk_check_pair(&cert_.pk, &key_);
    if (r != 0) {
        return fail_at(err, l, t.keyfile_at, "keyfile",
                       "private key '" + t.keyfile + "' does not match certificate '" + t.certfile + "'");
    }
    if (!t.cafile.empty()) {
        r = mbedtls_x509_crt_parse_file(&ca_, t.cafile.c_str());
        if (r != 0) {
            return fail_at(err, l, t.cafile_at, "cafile",
                           "cannot load CA certificates '" + t.cafile + "': " + error_text(r));
        }
    }
    if (!t.capath.empty()) {
        // Returns the number of files that failed to parse (or an error); a directory
        // in which nothing parses is an error, like an unreadable cafile.
        r = mbedtls_x509_crt_parse_path(&ca_, t.capath.c_str());
        if (r < 0 || ca_.version == 0) {
            return fail_at(err, l, t.capath_at, "capath",
                           "no CA certificate could be loaded from '" + t.capath + "'" +
                               (r < 0 ? ": " + error_text(r) : std::string()));
        }
    }
    r = mbedtls_ssl_config_defaults(&conf_, MBEDTLS_SSL_IS_SERVER, MBEDTLS_SSL_TRANSPORT_STREAM,
                                    MBEDTLS_SSL_PRESET_DEFAULT);
    if (r != 0) {
        return fail_at(err, l, t.certfile_at, "certfile", "mbedTLS configuration failed: " + error_text(r));
    }
    tune(conf_);
    mbedtls_ssl_cache_set_max_entries(&cache_, kSessionCacheEntries);
    mbedtls_ssl_cache_set_timeout(&cache_, kSessionCacheSeconds);
    mbedtls_ssl_conf_session_cache(&conf_, &cache_, mbedtls_ssl_cache_get, mbedtls_ssl_cache_set);
    r = mbedtls_ssl_conf_own_cert(&conf_, &cert_, &key_);
    if (r != 0) {
        return fail_at(err, l, t.certfile_at, "certfile", "certificate not usable: " + error_text(r));
    }
    if (t.require_certificate) {
        mbedtls_ssl_conf_ca_chain(&conf_, &ca_, nullptr);
        mbedtls_ssl_conf_authmode(&conf_, MBEDTLS_SSL_VERIFY_REQUIRED);
    } else {
        // As mosquitto: without require_certificate no client certificate is asked for.
        mbedtls_ssl_conf_authmode(&conf_, MBEDTLS_SSL_VERIFY_NONE);
    }
    if (!t.ciphers.empty()) {
        std::size_t start = 0;
        while (start <= t.ciphers.size()) {
            const std::size_t end = std::min(t.ciphers.find(':', start), t.ciphers.size());
            const std::string name = t.ciphers.substr(start, end - start);
            start = end + 1;
            if (name.empty()) {
                continue;
            }
            const int id = mbedtls_ssl_get_ciphersuite_id(name.c_str());
            const mbedtls_ssl_ciphersuite_t* info = mbedtls_ssl_ciphersuite_from_id(id);
            if (id == 0 || info == nullptr) {
                return fail_at(err, l, t.ciphers_at, "ciphers",
                               "unknown cipher suite '" + name +
                                   "': use mbedTLS names such as TLS-ECDHE-RSA-WITH-AES-128-GCM-SHA256 "
                                   "(see docs/tls.md)");
            }
            if (info->max_minor_ver < MBEDTLS_SSL_MINOR_VERSION_3) {
                return fail_at(err, l, t.ciphers_at, "ciphers",
                               "cipher suite '" + name + "' is not usable with TLS 1.2");
            }
            suites_.push_back(id);
        }
        if (suites_.empty()) {
            return fail_at(err, l, t.ciphers_at, "ciphers", "no cipher suite given");
        }
        suites_.push_back(0);
        mbedtls_ssl_conf_ciphersuites(&conf_, suites_.data());
    }
    use_identity_ = t.use_identity_as_username;
    return true;
}

void TlsContext::tune(mbedtls_ssl_config& conf) {
    // TLS 1.2 only: 1.0/1.1 are obsolete (RFC 8996) and mbedTLS 2.28 has no 1.3.
    mbedtls_ssl_conf_min_version(&conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_max_version(&conf, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_rng(&conf, mbedtls_ctr_drbg_random, &drbg_);
    // mbedTLS's default order starts with secp521r1, whose key exchange costs several
    // times X25519's or P-256's; prefer the fast curves, as OpenSSL does.
    static const mbedtls_ecp_group_id kCurves[] = {MBEDTLS_ECP_DP_CURVE25519, MBEDTLS_ECP_DP_SECP256R1,
                                                   MBEDTLS_ECP_DP_SECP384R1, MBEDTLS_ECP_DP_SECP521R1,
                                                   MBEDTLS_ECP_DP_NONE};
    mbedtls_ssl_conf_curves(&conf, kCurves);
}

std::unique_ptr<TlsContext> TlsContext::create_client(const BridgeConfig& b, ConfigError& err) {
    std::unique_ptr<TlsContext> ctx(new TlsContext);
    if (!ctx->load_client(b, err)) {
        return nullptr;
    }
    return ctx;
}

bool TlsContext::load_client(const BridgeConfig& b, ConfigError& err) {
    auto fail = [&](const OptionOrigin& at, const char* option, const std::string& message) {
        err.file = at.line > 0 ? at.file : b.at.file;
        err.line = at.line > 0 ? at.line : b.at.line;
        err.option = option;
        err.message = "bridge " + b.name + ": " + message;
        return false;
    };
    static const char kPers[] = "mote-broker bridge tls";
    int r = mbedtls_ctr_drbg_seed(&drbg_, mbedtls_entropy_func, &entropy_,
                                  reinterpret_cast<const unsigned char*>(kPers), sizeof kPers - 1);
    if (r != 0) return fail(b.cafile_at, "bridge_cafile", "cannot seed the random generator: " + error_text(r));
    if (!b.cafile.empty()) {
        r = mbedtls_x509_crt_parse_file(&ca_, b.cafile.c_str());
        if (r != 0) {
            return fail(b.cafile_at, "bridge_cafile", "cannot load CA certificates '" + b.cafile + "': " + error_text(r));
        }
    }
    if (!b.capath.empty()) {
        r = mbedtls_x509_crt_parse_path(&ca_, b.capath.c_str());
        if (r < 0 || ca_.version == 0) {
            return fail(b.capath_at, "bridge_capath",
                        "no CA certificate could be loaded from '" + b.capath + "'" +
                            (r < 0 ? ": " + error_text(r) : std::string()));
        }
    }
    r = mbedtls_ssl_config_defaults(&conf_, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                    MBEDTLS_SSL_PRESET_DEFAULT);
    if (r != 0) return fail(b.cafile_at, "bridge_cafile", "mbedTLS configuration failed: " + error_text(r));
    tune(conf_);
    // The upstream broker must prove who it is; bridge_insecure only skips the host
    // name check (the Uplink then sets no host name), never the chain.
    mbedtls_ssl_conf_authmode(&conf_, MBEDTLS_SSL_VERIFY_REQUIRED);
    mbedtls_ssl_conf_ca_chain(&conf_, &ca_, nullptr);
    if (!b.certfile.empty()) {
        r = mbedtls_x509_crt_parse_file(&cert_, b.certfile.c_str());
        if (r != 0) {
            return fail(b.certfile_at, "bridge_certfile",
                        "cannot load certificate '" + b.certfile + "': " + error_text(r));
        }
        r = mbedtls_pk_parse_keyfile(&key_, b.keyfile.c_str(), nullptr);
        if (r != 0) {
            return fail(b.keyfile_at, "bridge_keyfile",
                        "cannot load private key '" + b.keyfile + "' (PEM or DER, not encrypted): " + error_text(r));
        }
        if (mbedtls_pk_check_pair(&cert_.pk, &key_) != 0) {
            return fail(b.keyfile_at, "bridge_keyfile",
                        "private key '" + b.keyfile + "' does not match certificate '" + b.certfile + "'");
        }
        r = mbedtls_ssl_conf_own_cert(&conf_, &cert_, &key_);
        if (r != 0) return fail(b.certfile_at, "bridge_certfile", "certificate not usable: " + error_text(r));
    }
    return true;
}

// ---------------------------------------------------------------- session

TlsSession::TlsSession(const TlsContext& ctx, Sink sink, void* user) : sink_(sink), user_(user) {
    mbedtls_ssl_init(&ssl_);
    const int r = mbedtls_ssl_setup(&ssl_, ctx.config());
    if (r != 0) {
        fail("setup", r);
        return;
    }
    mbedtls_ssl_set_bio(&ssl_, this, &TlsSession::on_send, &TlsSession::on_recv, nullptr);
    setup_ok_ = true;
}

TlsSession::~TlsSession() { mbedtls_ssl_free(&ssl_); }

bool TlsSession::set_hostname(const std::string& host) { return mbedtls_ssl_set_hostname(&ssl_, host.c_str()) == 0; }

int TlsSession::on_send(void* self, const unsigned char* buf, std::size_t len) {
    auto* s = static_cast<TlsSession*>(self);
    s->sink_(s->user_, mqtt::Bytes{buf, len});
    return static_cast<int>(len);
}

int TlsSession::on_recv(void* self, unsigned char* buf, std::size_t len) {
    auto* s = static_cast<TlsSession*>(self);
    if (s->rest_used_ < s->rest_.size()) {
        const std::size_t n = std::min(len, s->rest_.size() - s->rest_used_);
        std::memcpy(buf, s->rest_.data() + s->rest_used_, n);
        s->rest_used_ += n;
        return static_cast<int>(n);
    }
    if (s->view_used_ < s->view_.size) {
        const std::size_t n = std::min(len, s->view_.size - s->view_used_);
        std::memcpy(buf, s->view_.data + s->view_used_, n);
        s->view_used_ += n;
        return static_cast<int>(n);
    }
    return MBEDTLS_ERR_SSL_WANT_READ;
}

void TlsSession::set_input(mqtt::Bytes in) {
    view_ = in;
    view_used_ = 0;
}

void TlsSession::keep_rest() {
    // Drop what was consumed, then append what is left of the view.
    if (rest_used_ == rest_.size()) {
        rest_.clear();
    } else if (rest_used_ > 0) {
        rest_.erase(rest_.begin(), rest_.begin() + static_cast<std::ptrdiff_t>(rest_used_));
    }
    rest_used_ = 0;
    if (view_used_ < view_.size) {
        rest_.insert(rest_.end(), view_.data + view_used_, view_.data + view_.size);
    }
    if (rest_.empty() && rest_.capacity() > 0) {
        std::vector<std::uint8_t>().swap(rest_);  // an idle connection keeps nothing
    }
    view_ = mqtt::Bytes{};
    view_used_ = 0;
}

void TlsSession::fail(const char* what, int code) {
    failure_ = std::string(what) + ": " + error_text(code);
    if (code == MBEDTLS_ERR_X509_CERT_VERIFY_FAILED) {
        char info[256];
        const int n = mbedtls_x509_crt_verify_info(info, sizeof info, "", mbedtls_ssl_get_verify_result(&ssl_));
        if (n > 0) {
            std::string text(info, static_cast<std::size_t>(n));
            std::replace(text.begin(), text.end(), '\n', ';');
            while (!text.empty() && text.back() == ';') {
                text.pop_back();
            }
            failure_ += ": " + text;
        }
    }
}

TlsSession::Step TlsSession::handshake() {
    const int r = mbedtls_ssl_handshake(&ssl_);
    if (r == 0) {
        return Step::Done;
    }
    if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE) {
        return Step::NeedMore;
    }
    fail("handshake", r);
    return Step::Failed;
}

std::size_t TlsSession::read(std::uint8_t* out, std::size_t cap, ReadEnd& end) {
    const int r = mbedtls_ssl_read(&ssl_, out, cap);
    if (r > 0) {
        return static_cast<std::size_t>(r);
    }
    if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE) {
        end = ReadEnd::NeedMore;
    } else if (r == 0 || r == MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY) {
        end = ReadEnd::PeerClosed;
    } else {
        fail("read", r);
        end = ReadEnd::Failed;
    }
    return 0;
}

bool TlsSession::write(mqtt::Bytes plain) {
    std::size_t off = 0;
    while (off < plain.size) {
        // The sink takes everything, so mbedTLS writes up to one record per call.
        const int r = mbedtls_ssl_write(&ssl_, plain.data + off, plain.size - off);
        if (r <= 0) {
            fail("write", r);
            return false;
        }
        off += static_cast<std::size_t>(r);
    }
    return true;
}

void TlsSession::close_notify() { mbedtls_ssl_close_notify(&ssl_); }

std::string TlsSession::peer_common_name() const {
    const mbedtls_x509_crt* peer = mbedtls_ssl_get_peer_cert(&ssl_);
    if (peer == nullptr) {
        return {};
    }
    for (const mbedtls_x509_name* n = &peer->subject; n != nullptr; n = n->next) {
        if (n->oid.p != nullptr && MBEDTLS_OID_CMP(MBEDTLS_OID_AT_CN, &n->oid) == 0) {
            return std::string(reinterpret_cast<const char*>(n->val.p), n->val.len);
        }
    }
    return {};
}

}  // namespace mote::broker::tls
