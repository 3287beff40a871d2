// mbedTLS port: TLS over any Transport that fulfils the contract of client.hpp (for
// example PosixTransport, or a modem's byte pipe). The result fulfils it too, so it
// plugs into Client unchanged. No heap of its own: the ssl context lives in this
// object; mbedTLS itself allocates from its configured allocator (on bare metal use
// MBEDTLS_MEMORY_BUFFER_ALLOC_C with a static pool).
//
// The caller owns and configures the mbedtls_ssl_config (CA chain, RNG, client
// certificate, minimum version) and keeps it alive as long as the transport.
#pragma once

#include <cstddef>
#include <cstdint>

#include <mbedtls/net_sockets.h>  // MBEDTLS_ERR_NET_CONN_RESET (a define only)
#include <mbedtls/ssl.h>

namespace mote::client {

template <class Inner>
class TlsTransport {
public:
    // `hostname` is checked against the server certificate (SNI too) and must outlive
    // the transport; nullptr skips the name check (only for tests).
    TlsTransport(Inner& inner, const mbedtls_ssl_config* conf, const char* hostname)
        : inner_(inner), conf_(conf), hostname_(hostname) {
        mbedtls_ssl_init(&ssl_);
    }
    ~TlsTransport() {
        close();
        mbedtls_ssl_free(&ssl_);
    }
    TlsTransport(const TlsTransport&) = delete;
    TlsTransport& operator=(const TlsTransport&) = delete;

    // 1 when the TLS handshake is complete, 0 while the link or the handshake is in
    // progress, < 0 on failure.
    int open() {
        if (!set_up_) {
            const int r = inner_.open();
            if (r <= 0) return r;
            mbedtls_ssl_free(&ssl_);
            mbedtls_ssl_init(&ssl_);
            if (mbedtls_ssl_setup(&ssl_, conf_) != 0) return fail();
            if (hostname_ != nullptr && mbedtls_ssl_set_hostname(&ssl_, hostname_) != 0) return fail();
            mbedtls_ssl_set_bio(&ssl_, this, &TlsTransport::bio_send, &TlsTransport::bio_recv, nullptr);
            set_up_ = true;
        }
        const int r = mbedtls_ssl_handshake(&ssl_);
        if (r == 0) return 1;
        if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE) return 0;
        return fail();
    }

    std::ptrdiff_t send(const std::uint8_t* data, std::size_t len) {
        const int r = mbedtls_ssl_write(&ssl_, data, len);
        if (r > 0) return r;
        if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE) return 0;
        return -1;
    }

    std::ptrdiff_t recv(std::uint8_t* data, std::size_t cap) {
        const int r = mbedtls_ssl_read(&ssl_, data, cap);
        if (r > 0) return r;
        if (r == MBEDTLS_ERR_SSL_WANT_READ || r == MBEDTLS_ERR_SSL_WANT_WRITE) return 0;
        return -1;  // 0 (EOF), close_notify or an error: the link is gone
    }

    void close() {
        if (set_up_) mbedtls_ssl_close_notify(&ssl_);
        set_up_ = false;
        inner_.close();
    }

private:
    int fail() {
        set_up_ = false;
        inner_.close();
        return -1;
    }
    // The inner transport's 0 ("try later") is mbedTLS's WANT_*; its < 0 is a
    // broken link.
    static int bio_send(void* ctx, const unsigned char* buf, std::size_t len) {
        auto* self = static_cast<TlsTransport*>(ctx);
        const auto n = self->inner_.send(buf, len);
        if (n == 0) return MBEDTLS_ERR_SSL_WANT_WRITE;
        if (n < 0) return MBEDTLS_ERR_NET_CONN_RESET;
        return static_cast<int>(n);
    }
    static int bio_recv(void* ctx, unsigned char* buf, std::size_t len) {
        auto* self = static_cast<TlsTransport*>(ctx);
        const auto n = self->inner_.recv(buf, len);
        if (n == 0) return MBEDTLS_ERR_SSL_WANT_READ;
        if (n < 0) return MBEDTLS_ERR_NET_CONN_RESET;
        return static_cast<int>(n);
    }

    Inner& inner_;
    const mbedtls_ssl_config* conf_;
    const char* hostname_;
    mbedtls_ssl_context ssl_;
    bool set_up_ = false;
};

}  // namespace mote::client
