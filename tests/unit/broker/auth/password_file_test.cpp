// The password file: lines written by Debian's mosquitto_passwd 2.0.11 (golden
// data below), mote-passwd's own hashes, and every malformed-line error.
#include "../../../../broker/src/auth/password_file.hpp"

#include <CppUTest/TestHarness.h>

#include <string>

using namespace mote::broker::auth;

namespace {

// `mosquitto_passwd -c -b pw alice secret` and `mosquitto_passwd -H sha512 -b pw bob s2`.
const char* kMosquittoFile =
    "alice:$7$101$M0LJAKLQiLhA3m7U$XnHuuvVKlQ6cSrXOzK7GFk1q6dbIlMIiaOQDF/IcAgSScMpQEn3HTfbjdXDe+asn1mWtyWmlAevU2PCu4vx/"
    "Uw==\n"
    "bob:$6$aUMxUzOJYLb0KeI7$BdHoCqTOxJH9WXXQi3P/FNU/yJkUGdoJUGfgqyrzXthYY6qd7avCrFBdZKbDqMMLgtA2wzbC5E832p8IfsQ3iA==\n";

void expect_error(const std::string& text, int line, const char* fragment) {
    PasswordFile pf;
    ParseError err;
    CHECK_FALSE_TEXT(PasswordFile::parse(text, pf, err), text.c_str());
    LONGS_EQUAL(line, err.line);
    CHECK_TEXT(err.message.find(fragment) != std::string::npos, err.message.c_str());
}

}  // namespace

TEST_GROUP(PasswordFile){};

TEST(PasswordFile, MosquittoPbkdf2LineVerifies) {
    PasswordFile pf;
    ParseError err;
    CHECK(PasswordFile::parse(kMosquittoFile, pf, err));
    LONGS_EQUAL(2, pf.size());
    const PasswordEntry* a = pf.find("alice");
    CHECK(a != nullptr);
    CHECK(a->kind == HashKind::Pbkdf2Sha512);
    LONGS_EQUAL(101, a->iterations);
    LONGS_EQUAL(12, a->salt.size());
    CHECK(verify(a, "secret"));
    CHECK_FALSE(verify(a, "Secret"));
    CHECK_FALSE(verify(a, ""));
    CHECK_FALSE(verify(a, "secret "));
}

TEST(PasswordFile, MosquittoSha512LineVerifies) {
    PasswordFile pf;
    ParseError err;
    CHECK(PasswordFile::parse(kMosquittoFile, pf, err));
    const PasswordEntry* b = pf.find("bob");
    CHECK(b != nullptr);
    CHECK(b->kind == HashKind::Sha512);
    CHECK(verify(b, "s2"));
    CHECK_FALSE(verify(b, "s3"));
}

TEST(PasswordFile, UnknownUserNeverVerifies) {
    PasswordFile pf;
    ParseError err;
    CHECK(PasswordFile::parse(kMosquittoFile, pf, err));
    CHECK(pf.find("carol") == nullptr);
    CHECK_FALSE(verify(nullptr, "secret"));
    CHECK_FALSE(verify(nullptr, ""));
    // The dummy entry costs what the file's costliest line costs, and matches nothing.
    CHECK(pf.dummy().kind == HashKind::Pbkdf2Sha512);
    LONGS_EQUAL(101, pf.dummy().iterations);
    CHECK_FALSE(verify(&pf.dummy(), ""));
    CHECK_FALSE(verify(&pf.dummy(), "secret"));
}

TEST(PasswordFile, CommentsBlankLinesAndCrlfAreSkipped) {
    PasswordFile pf;
    ParseError err;
    const std::string text = std::string("# users\r\n\r\n") + "alice:" + make_hash_field(HashKind::Pbkdf2Sha512, 10, "pw") + "\r\n";
    CHECK_TEXT(PasswordFile::parse(text, pf, err), err.message.c_str());
    CHECK(verify(pf.find("alice"), "pw"));
}

TEST(PasswordFile, MadeHashesRoundTripBothKinds) {
    for (HashKind k : {HashKind::Sha512, HashKind::Pbkdf2Sha512}) {
        const std::string field = make_hash_field(k, 1000, "correct horse");
        PasswordEntry e;
        std::string why;
        CHECK_TEXT(parse_hash_field(field, e, why), why.c_str());
        CHECK(verify(&e, "correct horse"));
        CHECK_FALSE(verify(&e, "correct horsf"));
    }
    // A fresh salt each time.
    CHECK(make_hash_field(HashKind::Pbkdf2Sha512, 10, "x") != make_hash_field(HashKind::Pbkdf2Sha512, 10, "x"));
    STRCMP_CONTAINS("$7$1000$", make_hash_field(HashKind::Pbkdf2Sha512, 1000, "x").c_str());
}

TEST(PasswordFile, MalformedLinesNameTheLine) {
    const std::string good = "alice:$6$aUMxUzOJYLb0KeI7$BdHoCqTOxJH9WXXQi3P/FNU/yJkUGdoJUGfgqyrzXthYY6qd7avCrFBdZKbDqMMLgtA2wzbC5E832p8IfsQ3iA==\n";
    expect_error("# c\nalice\n", 2, "no ':'");
    expect_error(":$6$a$b\n", 1, "empty user name");
    expect_error("alice:secret\n", 1, "plain-text");
    expect_error("alice:$5$abc$def\n", 1, "unknown hash type");
    expect_error("alice:$6$onlysalt\n", 1, "$6$SALT$HASH");
    expect_error("alice:$7$101$salt\n", 1, "$7$ITERATIONS$SALT$HASH");
    expect_error("alice:$7$0$QUJD$QUJD\n", 1, "iterations");
    expect_error("alice:$7$99999999999$QUJD$QUJD\n", 1, "iterations");
    expect_error("alice:$7$1x$QUJD$QUJD\n", 1, "iterations");
    expect_error("alice:$6$!!!!$QUJD\n", 1, "salt");
    expect_error("alice:$6$QUJD$QUJD\n", 1, "64 bytes");
    expect_error(good + good, 2, "more than once");
}

TEST(PasswordFile, OverlongUserNameIsRefused) {
    const std::string user(70000, 'u');
    expect_error(user + ":$6$QUJD$QUJD\n", 1, "longer than 65535");
}

TEST(PasswordFile, Base64HelpersRoundTrip) {
    std::vector<std::uint8_t> in = {0, 1, 2, 250, 251, 252, 253};
    std::vector<std::uint8_t> out;
    CHECK(base64_decode(base64_encode(in), out));
    CHECK(in == out);
    CHECK_FALSE(base64_decode("", out));
    CHECK_FALSE(base64_decode("@@@@", out));
}
