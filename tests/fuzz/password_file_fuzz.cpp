// libFuzzer target for the password file parser (broker/src/auth/password_file.hpp).
//
// The input is a whole file. A file that parses must have every listed user
// findable, and every entry cheap enough to check (iterations capped here, since a
// $7$ line may legally ask for millions) must verify without crashing; a file that
// does not parse must name a line inside the file.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "../../broker/src/auth/password_file.hpp"

using namespace mote::broker::auth;

namespace {

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "password_file_fuzz: %s\n", what);
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text(reinterpret_cast<const char*>(data), size);
    PasswordFile pf;
    ParseError err;
    if (!PasswordFile::parse(text, pf, err)) {
        std::size_t lines = 1;
        for (char c : text) lines += c == '\n' ? 1 : 0;
        if (err.line < 1 || static_cast<std::size_t>(err.line) > lines) fail("error line outside the file");
        if (err.message.empty()) fail("error without a message");
        return 0;
    }
    if (pf.size() != pf.order().size()) fail("size and order disagree");
    for (const std::string& user : pf.order()) {
        const PasswordEntry* e = pf.find(user);
        if (e == nullptr) fail("listed user not found");
        if (e->hash.size() != 64) fail("hash not 64 bytes");
        if (e->kind == HashKind::Sha512 || e->iterations <= 64) {
            // The stored hash is arbitrary bytes: a match would mean a SHA-512 preimage.
            if (verify(e, "fuzz")) fail("arbitrary hash verified");
        }
    }
    if (verify(nullptr, "fuzz")) fail("unknown user verified");
    return 0;
}
