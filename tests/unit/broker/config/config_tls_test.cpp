// TLS listener options (broker/src/config/config_tls.cpp): values, scoping to a
// listener section, and the combinations that are errors. Loading the certificate
// files themselves is mbedTLS's job and is tested by tests/interop/test_tls.py.
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "mote/broker/config.hpp"

// CppUTest last: its leak-detector macros redefine new for what follows.
#include <CppUTest/TestHarness.h>

using mote::broker::BrokerConfig;
using mote::broker::ConfigError;
using mote::broker::parse_config_text;

namespace {

// A readable file standing in for a PEM file (the parser only checks access).
struct TempFile {
    std::string path;
    TempFile() {
        char tmpl[] = "/tmp/mote-tls-config-XXXXXX";
        const int fd = mkstemp(tmpl);
        CHECK(fd >= 0);
        close(fd);
        path = tmpl;
    }
    ~TempFile() { std::remove(path.c_str()); }
};

bool parse(const std::string& text, BrokerConfig& cfg, ConfigError& err) {
    return parse_config_text(text, "t.conf", cfg, err);
}

void expect_error(const std::string& text, int line, const char* option, const char* fragment) {
    BrokerConfig cfg;
    ConfigError err;
    CHECK_FALSE_TEXT(parse(text, cfg, err), ("accepted: " + text).c_str());
    const std::string s = err.to_string();
    LONGS_EQUAL_TEXT(line, err.line, s.c_str());
    STRCMP_EQUAL_TEXT(option, err.option.c_str(), s.c_str());
    CHECK_TEXT(err.message.find(fragment) != std::string::npos, s.c_str());
}

}  // namespace

TEST_GROUP(ConfigTls){};

TEST(ConfigTls, FullListener) {
    TempFile cert, key, ca;
    BrokerConfig cfg;
    ConfigError err;
    const std::string text = "listener 1883\nlistener 8883\ncertfile " + cert.path + "\nkeyfile " + key.path +
                             "\ncafile " + ca.path + "\nrequire_certificate true\nuse_identity_as_username true\n"
                             "tls_version tlsv1.2\nciphers TLS-ECDHE-RSA-WITH-AES-128-GCM-SHA256\n"
                             "tls_handshake_timeout 3\nmax_tls_handshakes 10\n";
    CHECK_TEXT(parse(text, cfg, err), err.to_string().c_str());
    LONGS_EQUAL(2, cfg.listeners.size());
    CHECK_FALSE(cfg.listeners[0].tls.enabled());
    const auto& t = cfg.listeners[1].tls;
    CHECK(t.enabled());
    STRCMP_EQUAL(cert.path.c_str(), t.certfile.c_str());
    STRCMP_EQUAL(key.path.c_str(), t.keyfile.c_str());
    STRCMP_EQUAL(ca.path.c_str(), t.cafile.c_str());
    LONGS_EQUAL(3, t.certfile_at.line);
    LONGS_EQUAL(4, t.keyfile_at.line);
    LONGS_EQUAL(9, t.ciphers_at.line);
    STRCMP_EQUAL("t.conf", t.certfile_at.file.c_str());
    CHECK(t.require_certificate);
    CHECK(t.use_identity_as_username);
    STRCMP_EQUAL("tlsv1.2", t.tls_version.c_str());
    STRCMP_EQUAL("TLS-ECDHE-RSA-WITH-AES-128-GCM-SHA256", t.ciphers.c_str());
    LONGS_EQUAL(3, cfg.tls_handshake_timeout);
    LONGS_EQUAL(10, cfg.max_tls_handshakes);
}

TEST(ConfigTls, Defaults) {
    BrokerConfig cfg;
    LONGS_EQUAL(5, cfg.tls_handshake_timeout);
    LONGS_EQUAL(64, cfg.max_tls_handshakes);
}

TEST(ConfigTls, OptionsNeedAListenerSection) {
    TempFile f;
    expect_error("certfile " + f.path + "\n", 1, "certfile", "must follow a 'listener' line");
    expect_error("require_certificate true\n", 1, "require_certificate", "must follow a 'listener' line");
}

TEST(ConfigTls, UnreadableFiles) {
    expect_error("listener 8883\ncertfile /nonexistent/server.crt\n", 2, "certfile", "cannot read");
    expect_error("listener 8883\nkeyfile /nonexistent/k\n", 2, "keyfile", "cannot read");
    expect_error("listener 8883\ncafile /tmp\n", 2, "cafile", "not a regular file");
    TempFile f;
    expect_error("listener 8883\ncapath " + f.path + "\n", 2, "capath", "not a directory");
}

TEST(ConfigTls, TlsVersions) {
    expect_error("listener 8883\ntls_version tlsv1.3\n", 2, "tls_version", "mbedTLS 2.28");
    expect_error("listener 8883\ntls_version tlsv1.1\n", 2, "tls_version", "obsolete");
    expect_error("listener 8883\ntls_version sslv3\n", 2, "tls_version", "expected tlsv1.2");
}

TEST(ConfigTls, RepeatedInOneSectionButNotAcross) {
    TempFile c, k;
    expect_error("listener 8883\ncertfile " + c.path + "\ncertfile " + c.path + "\n", 3, "certfile",
                 "more than once");
    BrokerConfig cfg;
    ConfigError err;
    const std::string two = "listener 8883\ncertfile " + c.path + "\nkeyfile " + k.path + "\nlistener 8884\ncertfile " +
                            c.path + "\nkeyfile " + k.path + "\n";
    CHECK_TEXT(parse(two, cfg, err), err.to_string().c_str());
    CHECK(cfg.listeners[0].tls.enabled() && cfg.listeners[1].tls.enabled());
}

TEST(ConfigTls, Combinations) {
    TempFile c, k, ca;
    // Reported at the listener's line, naming the option and where it was given.
    expect_error("listener 8883\ncertfile " + c.path + "\n", 1, "keyfile", "keyfile is missing");
    expect_error("listener 8883\nkeyfile " + k.path + "\n", 1, "keyfile", "no certfile");
    expect_error("listener 8883\ncafile " + ca.path + "\n", 1, "cafile", "t.conf:2");
    expect_error("listener 8883\ncertfile " + c.path + "\nkeyfile " + k.path + "\nrequire_certificate true\n", 1,
                 "require_certificate", "needs cafile or capath");
    expect_error("listener 8883\ncertfile " + c.path + "\nkeyfile " + k.path + "\ncafile " + ca.path +
                     "\nuse_identity_as_username true\n",
                 1, "use_identity_as_username", "needs require_certificate");
    expect_error("listener 1883\nlistener 8883\ncertfile " + c.path + "\nkeyfile " + k.path +
                     "\nlistener 8884\nciphers TLS-RSA-WITH-AES-128-GCM-SHA256\n",
                 5, "ciphers", "no certfile");
}

TEST(ConfigTls, GlobalLimits) {
    expect_error("tls_handshake_timeout 0\n", 1, "tls_handshake_timeout", "from 1 to 3600");
    expect_error("max_tls_handshakes 0\n", 1, "max_tls_handshakes", "from 1 to");
}
