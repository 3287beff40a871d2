// mote-bench's TLS client side (--tls CAFILE): mbedTLS over memory buffers, so the
// libuv loop keeps doing the socket I/O. One TlsClientConfig per run (CA, random
// generator); one TlsClient per connection. The server certificate is verified
// against the CA file; the host name is not checked (benchmarks dial 127.0.0.1).
#pragma once

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/ssl.h>
#include <mbedtls/x509_crt.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace mote::bench {

class TlsClientConfig {
public:
    TlsClientConfig();
    ~TlsClientConfig();
    TlsClientConfig(const TlsClientConfig&) = delete;
    TlsClientConfig& operator=(const TlsClientConfig&) = delete;
    // Loads the CA file; false with `error` set.
    bool load(const std::string& cafile, std::string& error);
    const mbedtls_ssl_config* get() const { return &conf_; }

private:
    mbedtls_ssl_config conf_;
    mbedtls_entropy_context entropy_;
    mbedtls_ctr_drbg_context drbg_;
    mbedtls_x509_crt ca_;
};

class TlsClient {
public:
    explicit TlsClient(const TlsClientConfig& cfg);
    ~TlsClient();
    TlsClient(const TlsClient&) = delete;
    TlsClient& operator=(const TlsClient&) = delete;

    // Ciphertext to send is appended to `out` during handshake() and write().
    std::vector<std::uint8_t> out;
    bool ready() const { return ready_; }
    // Advances the handshake; 0 done or in progress, < 0 an mbedTLS error.
    int handshake();
    // Ciphertext in (copied); then read() until it returns 0.
    void feed(const std::uint8_t* data, std::size_t n);
    // Plaintext out: > 0 bytes, 0 nothing more for now, < 0 error / closed.
    int read(std::uint8_t* buf, std::size_t cap);
    int write(const std::uint8_t* data, std::size_t n);

private:
    static int on_send(void* self, const unsigned char* buf, std::size_t len);
    static int on_recv(void* self, unsigned char* buf, std::size_t len);
    mbedtls_ssl_context ssl_;
    std::vector<std::uint8_t> in_;
    std::size_t in_used_ = 0;
    bool ready_ = false;
};

}  // namespace mote::bench
