// TLS on mbedTLS 2.28 (Debian's libmbedtls-dev), without I/O: a
// TlsContext per TLS listener holds the certificate, key, CA chain, cipher suite
// list and random generator; a TlsSession per connection runs the handshake and the
// record layer over memory buffers. The net layer hands it the ciphertext it read
// and writes out the ciphertext it produces (net/tls_io.cpp), so no socket is ever
// given to mbedTLS. A bridge's uplink (bridge/uplink.cpp) uses the same session
// class on the client side, with a context made by create_client().
//
// Ownership and lifetime:
// - A TlsContext must outlive every TlsSession made from it (the Listener owns the
//   context; connections of a listener are closed before the listener is freed).
// - TlsSession::set_input() takes a view of ciphertext that stays valid only until
//   keep_rest(), which copies what mbedTLS did not consume yet (at most one partial
//   record) into the session.
// - Ciphertext output goes synchronously to the Sink given at construction, during
//   handshake(), write() and close_notify().
#pragma once

#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pk.h>
#include <mbedtls/ssl.h>
#include <mbedtls/ssl_cache.h>
#include <mbedtls/x509_crt.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "mote/broker/config.hpp"
#include "mote/common/bytes.hpp"

namespace mote::broker::tls {

class TlsContext {
public:
    // Loads and checks the listener's certfile, keyfile, cafile/capath and ciphers.
    // Returns nullptr with `err` naming file, line and option ("mote.conf:7:
    // keyfile: does not match certfile") when anything is wrong.
    static std::unique_ptr<TlsContext> create(const ListenerConfig& l, ConfigError& err);
    // The client side, for a bridge's uplink (docs/bridge.md): the upstream's
    // certificate chain is verified against bridge_cafile/bridge_capath, and
    // bridge_certfile/bridge_keyfile is presented when given. Errors as above.
    static std::unique_ptr<TlsContext> create_client(const BridgeConfig& b, ConfigError& err);
    ~TlsContext();
    TlsContext(const TlsContext&) = delete;
    TlsContext& operator=(const TlsContext&) = delete;

    const mbedtls_ssl_config* config() const { return &conf_; }

    // Session resumption: a client that reconnects within kSessionCacheSeconds with
    // its session ID skips the key exchange. At most kSessionCacheEntries sessions
    // are kept per listener (about 2 KB each, more with a client certificate).
    static constexpr int kSessionCacheEntries = 1000;
    static constexpr int kSessionCacheSeconds = 3600;
    bool use_identity_as_username() const { return use_identity_; }

private:
    TlsContext();
    bool load(const ListenerConfig& l, ConfigError& err);
    bool load_client(const BridgeConfig& b, ConfigError& err);
    void tune(mbedtls_ssl_config& conf);

    mbedtls_ssl_config conf_;
    mbedtls_entropy_context entropy_;
    mbedtls_ctr_drbg_context drbg_;
    mbedtls_x509_crt cert_;
    mbedtls_x509_crt ca_;
    mbedtls_pk_context key_;
    mbedtls_ssl_cache_context cache_;  // session resumption (TLS 1.2 session IDs)
    std::vector<int> suites_;  // 0-terminated; mbedTLS keeps a pointer to it
    bool use_identity_ = false;
};

// The text of an mbedTLS error code, for logs.
std::string error_text(int code);

class TlsSession {
public:
    using Sink = void (*)(void* user, mqtt::Bytes ciphertext);

    enum class Step : std::uint8_t { NeedMore, Done, Failed };
    // read(): bytes > 0 is plaintext; otherwise what happened.
    enum class ReadEnd : std::uint8_t { NeedMore, PeerClosed, Failed };

    // Fails only when mbedTLS cannot allocate its record buffers (about 33 KB):
    // check ok() before use.
    TlsSession(const TlsContext& ctx, Sink sink, void* user);
    ~TlsSession();
    TlsSession(const TlsSession&) = delete;
    TlsSession& operator=(const TlsSession&) = delete;

    bool ok() const { return setup_ok_; }
    // Client side: the name the upstream's certificate must carry (and the SNI).
    // False when mbedTLS cannot take it.
    bool set_hostname(const std::string& host);
    // Whether read() may have more without new input: decrypted bytes not read
    // yet, or ciphertext kept from earlier input.
    bool pending() const { return mbedtls_ssl_get_bytes_avail(&ssl_) > 0 || rest_used_ < rest_.size(); }

    // Ciphertext that arrived; see the file comment for the view's lifetime.
    void set_input(mqtt::Bytes in);
    void keep_rest();

    // Advances the handshake with the input so far. On Failed, failure() says why
    // (a bad or expired client certificate names the verification result).
    Step handshake();
    const std::string& failure() const { return failure_; }

    // Decrypts into `out`; returns the plaintext size (> 0) or 0 with `end` set.
    std::size_t read(std::uint8_t* out, std::size_t cap, ReadEnd& end);
    // Encrypts all of `plain` to the sink. False on an mbedTLS error (failure()).
    bool write(mqtt::Bytes plain);
    // Sends the close_notify alert to the sink.
    void close_notify();

    // After a completed handshake: the subject CN of the verified client
    // certificate (empty without one), the protocol version and cipher suite.
    std::string peer_common_name() const;
    const char* version() const { return mbedtls_ssl_get_version(&ssl_); }
    const char* cipher() const { return mbedtls_ssl_get_ciphersuite(&ssl_); }

private:
    static int on_send(void* self, const unsigned char* buf, std::size_t len);
    static int on_recv(void* self, unsigned char* buf, std::size_t len);
    void fail(const char* what, int code);

    mbedtls_ssl_context ssl_;
    Sink sink_;
    void* user_;
    bool setup_ok_ = false;
    mqtt::Bytes view_{};
    std::size_t view_used_ = 0;
    std::vector<std::uint8_t> rest_;  // unconsumed ciphertext from earlier reads
    std::size_t rest_used_ = 0;
    std::string failure_;
};

}  // namespace mote::broker::tls
