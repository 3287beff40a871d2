#include "tls_client.hpp"

#include <mbedtls/error.h>

#include <algorithm>
#include <cstring>

namespace mote::bench {

TlsClientConfig::TlsClientConfig() {
    mbedtls_ssl_config_init(&conf_);
    mbedtls_entropy_init(&entropy_);
    mbedtls_ctr_drbg_init(&drbg_);
    mbedtls_x509_crt_init(&ca_);
}

TlsClientConfig::~TlsClientConfig() {
    mbedtls_ssl_config_free(&conf_);
    mbedtls_x509_crt_free(&ca_);
    mbedtls_ctr_drbg_free(&drbg_);
    mbedtls_entropy_free(&entropy_);
}

bool TlsClientConfig::load(const std::string& cafile, std::string& error) {
    char msg[160];
    int r = mbedtls_ctr_drbg_seed(&drbg_, mbedtls_entropy_func, &entropy_, nullptr, 0);
    if (r == 0) r = mbedtls_x509_crt_parse_file(&ca_, cafile.c_str());
    if (r == 0) {
        r = mbedtls_ssl_config_defaults(&conf_, MBEDTLS_SSL_IS_CLIENT, MBEDTLS_SSL_TRANSPORT_STREAM,
                                        MBEDTLS_SSL_PRESET_DEFAULT);
    }
    if (r != 0) {
        mbedtls_strerror(r, msg, sizeof msg);
        error = cafile + ": " + msg;
        return false;
    }
    mbedtls_ssl_conf_min_version(&conf_, MBEDTLS_SSL_MAJOR_VERSION_3, MBEDTLS_SSL_MINOR_VERSION_3);
    mbedtls_ssl_conf_rng(&conf_, mbedtls_ctr_drbg_random, &drbg_);
    // The curves OpenSSL clients offer first (mbedTLS would start with secp521r1).
    static const mbedtls_ecp_group_id kCurves[] = {MBEDTLS_ECP_DP_CURVE25519, MBEDTLS_ECP_DP_SECP256R1,
                                                   MBEDTLS_ECP_DP_SECP384R1, MBEDTLS_ECP_DP_NONE};
    mbedtls_ssl_conf_curves(&conf_, kCurves);
    mbedtls_ssl_conf_ca_chain(&conf_, &ca_, nullptr);
    mbedtls_ssl_conf_authmode(&conf_, MBEDTLS_SSL_VERIFY_REQUIRED);
    return true;
}

TlsClient::TlsClient(const TlsClientConfig& cfg) {
    mbedtls_ssl_init(&ssl_);
    mbedtls_ssl_setup(&ssl_, cfg.get());
    mbedtls_ssl_set_bio(&ssl_, this, &TlsClient::on_send, &TlsClient::on_recv, nullptr);
}

TlsClient::~TlsClient() { mbedtls_ssl_free(&ssl_); }

int TlsClient::on_send(void* self, const unsigned char* buf, std::size_t len) {
    auto* t = static_cast<TlsClient*>(self);
    t->out.insert(t->out.end(), buf, buf + len);
    return static_cast<int>(len);
}

int TlsClient::on_recv(void* self, unsigned char* buf, std::size_t len) {
    auto* t = static_cast<TlsClient*>(self);
    const std::size_t have = t->in_.size() - t->in_used_;
    if (have == 0) return MBEDTLS_ERR_SSL_WANT_READ;
    const std::size_t n = std::min(len, have);
    std::memcpy(buf, t->in_.data() + t->in_used_, n);
    t->in_used_ += n;
    if (t->in_used_ == t->in_.size()) {
        t->in_.clear();
        t->in_used_ = 0;
    }
    return static_cast<int>(n);
}

void TlsClient::feed(const std::uint8_t* data, std::size_t n) {
    if (in_used_ > 0 && in_used_ == in_.size()) {
        in_.clear();
        in_used_ = 0;
    }
    in_.insert(in_.end(), data, data + n);
}

int TlsClient::handshake() {
    const int r = mbedtls_ssl_handshake(&ssl_);
    if (r == 0) {
        ready_ = true;
        return 0;
    }
    return r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE ? 0 : r;
}

int TlsClient::read(std::uint8_t* buf, std::size_t cap) {
    const int r = mbedtls_ssl_read(&ssl_, buf, cap);
    if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE) return 0;
    if (r == 0) return MBEDTLS_ERR_SSL_PEER_CLOSE_NOTIFY;
    return r;
}

int TlsClient::write(const std::uint8_t* data, std::size_t n) {
    std::size_t off = 0;
    while (off < n) {
        const int r = mbedtls_ssl_write(&ssl_, data + off, n - off);
        if (r <= 0) return r;
        off += static_cast<std::size_t>(r);
    }
    return 0;
}

}  // namespace mote::bench
