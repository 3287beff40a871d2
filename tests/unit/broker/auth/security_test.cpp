// Security options in the configuration (password_file, acl_file, allow_anonymous,
// per_listener_settings) and load_security(): defaults, per-listener resolution,
// and errors naming the file and the line.
#include "../../../../broker/src/auth/security.hpp"

#include <CppUTest/TestHarness.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <string>

using namespace mote::broker;

namespace {

std::string temp_file(const std::string& text) {
    char name[] = "/tmp/mote-auth-test-XXXXXX";
    const int fd = mkstemp(name);
    CHECK(fd >= 0);
    close(fd);
    std::ofstream(name, std::ios::binary) << text;
    return name;
}

const std::string kPwLine =
    "bob:$6$aUMxUzOJYLb0KeI7$BdHoCqTOxJH9WXXQi3P/FNU/yJkUGdoJUGfgqyrzXthYY6qd7avCrFBdZKbDqMMLgtA2wzbC5E832p8IfsQ3iA==\n";

BrokerConfig parse(const std::string& text) {
    BrokerConfig cfg;
    ConfigError err;
    CHECK_TEXT(parse_config_text(text, "mote.conf", cfg, err), err.to_string().c_str());
    return cfg;
}

}  // namespace

TEST_GROUP(SecurityConfig) {
    std::vector<std::string> files;
    void teardown() override {
        for (const auto& f : files) std::remove(f.c_str());
    }
    std::string file(const std::string& text) {
        files.push_back(temp_file(text));
        return files.back();
    }
};

TEST(SecurityConfig, GlobalOptionsApplyToEveryListener) {
    const std::string pw = file(kPwLine);
    const std::string acl = file("topic read a/#\n");
    BrokerConfig cfg = parse("listener 1883\nlistener 1884\npassword_file " + pw + "\nacl_file " + acl + "\n");
    std::shared_ptr<const auth::Security> sec;
    ConfigError err;
    CHECK_TEXT(auth::load_security(cfg, sec, err), err.to_string().c_str());
    for (std::size_t i = 0; i < 3; ++i) {
        const auth::ListenerSecurity& l = sec->for_listener(i);
        CHECK(l.passwords != nullptr);
        CHECK(l.acl != nullptr);
        CHECK_FALSE(l.allow_anonymous);  // unset + password file: false, as mosquitto 2
    }
}

TEST(SecurityConfig, AllowAnonymousDefaults) {
    std::shared_ptr<const auth::Security> sec;
    ConfigError err;
    CHECK(auth::load_security(parse(""), sec, err));
    CHECK(sec->for_listener(0).allow_anonymous);  // no password file: true
    const std::string pw = file(kPwLine);
    CHECK(auth::load_security(parse("password_file " + pw + "\nallow_anonymous true\n"), sec, err));
    CHECK(sec->for_listener(0).allow_anonymous);
}

TEST(SecurityConfig, PerListenerSettings) {
    const std::string pw = file(kPwLine);
    BrokerConfig cfg = parse("per_listener_settings true\nport 1883\nallow_anonymous false\n"
                             "listener 8883\npassword_file " + pw + "\n"
                             "listener 9883\nallow_anonymous true\n");
    std::shared_ptr<const auth::Security> sec;
    ConfigError err;
    CHECK_TEXT(auth::load_security(cfg, sec, err), err.to_string().c_str());
    LONGS_EQUAL(3, cfg.listeners.size());
    CHECK_FALSE(sec->for_listener(0).allow_anonymous);  // the default listener: the options before `listener`
    CHECK(sec->for_listener(0).passwords == nullptr);
    CHECK(sec->for_listener(1).passwords != nullptr);
    CHECK_FALSE(sec->for_listener(1).allow_anonymous);
    CHECK(sec->for_listener(2).allow_anonymous);
    CHECK(sec->for_listener(2).passwords == nullptr);
}

TEST(SecurityConfig, PerListenerSectionsInheritNothing) {
    const std::string pw = file(kPwLine);
    const std::string acl = file("topic read a/#\n");
    BrokerConfig cfg = parse("per_listener_settings true\npassword_file " + pw + "\nacl_file " + acl +
                             "\nport 1883\nlistener 8883\n");
    std::shared_ptr<const auth::Security> sec;
    ConfigError err;
    CHECK_TEXT(auth::load_security(cfg, sec, err), err.to_string().c_str());
    CHECK(sec->for_listener(0).passwords != nullptr);  // port 1883: the options before `listener`
    CHECK(sec->for_listener(0).acl != nullptr);
    CHECK_FALSE(sec->for_listener(0).allow_anonymous);
    CHECK(sec->for_listener(1).passwords == nullptr);  // listener 8883 set nothing of its own
    CHECK(sec->for_listener(1).acl == nullptr);
    CHECK(sec->for_listener(1).allow_anonymous);
}

TEST(SecurityConfig, PerListenerOptionsRepeatPerSectionOnlyWhenEnabled) {
    BrokerConfig cfg;
    ConfigError err;
    CHECK_FALSE(parse_config_text("listener 1\nallow_anonymous true\nlistener 2\nallow_anonymous false\n", "m.conf",
                                  cfg, err));
    LONGS_EQUAL(4, err.line);
    STRCMP_CONTAINS("more than once", err.message.c_str());
    BrokerConfig cfg2;
    CHECK(parse_config_text("per_listener_settings true\nlistener 1\nallow_anonymous true\nlistener 2\n"
                            "allow_anonymous false\n", "m.conf", cfg2, err));
}

TEST(SecurityConfig, PerListenerSettingsMustComeFirst) {
    BrokerConfig cfg;
    ConfigError err;
    CHECK_FALSE(parse_config_text("allow_anonymous true\nper_listener_settings true\n", "m.conf", cfg, err));
    LONGS_EQUAL(2, err.line);
    STRCMP_EQUAL("per_listener_settings", err.option.c_str());
    STRCMP_CONTAINS("must come before", err.message.c_str());
}

TEST(SecurityConfig, BadPasswordFileLineNamesFileAndLine) {
    const std::string pw = file("# users\n" + kPwLine + "carol:plaintext\n");
    std::shared_ptr<const auth::Security> sec;
    ConfigError err;
    CHECK_FALSE(auth::load_security(parse("password_file " + pw + "\n"), sec, err));
    STRCMP_EQUAL(pw.c_str(), err.file.c_str());
    LONGS_EQUAL(3, err.line);
    STRCMP_EQUAL("password_file", err.option.c_str());
    CHECK(sec == nullptr);  // unchanged
    STRCMP_CONTAINS(":3: password_file: user 'carol'", err.to_string().c_str());
}

TEST(SecurityConfig, BadAclLineNamesFileAndLine) {
    const std::string acl = file("topic read a\n\ntopci read b\n");
    std::shared_ptr<const auth::Security> sec;
    ConfigError err;
    CHECK_FALSE(auth::load_security(parse("acl_file " + acl + "\n"), sec, err));
    STRCMP_EQUAL(acl.c_str(), err.file.c_str());
    LONGS_EQUAL(3, err.line);
    STRCMP_EQUAL("acl_file", err.option.c_str());
}

TEST(SecurityConfig, MissingFileIsAnError) {
    std::shared_ptr<const auth::Security> sec;
    ConfigError err;
    CHECK_FALSE(auth::load_security(parse("password_file /nonexistent/pw\n"), sec, err));
    STRCMP_CONTAINS("cannot read file", err.message.c_str());
    STRCMP_CONTAINS("(set at mote.conf:1)", err.message.c_str());
    LONGS_EQUAL(0, err.line);
}
