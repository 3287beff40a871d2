// The password file in the format Debian's mosquitto_passwd (2.0) writes, one user a
// line:
//   user:$6$SALT$HASH           SHA-512 of password||salt, one round
//   user:$7$ITERATIONS$SALT$HASH PBKDF2-HMAC-SHA512 with ITERATIONS rounds
// SALT and HASH are base64 (the salt is 12 bytes from mosquitto_passwd, the hash 64).
// Parsing and hashing use mbedTLS (md, pkcs5, base64); no hand-written crypto.
//
// Parsing runs at start-up and on SIGHUP. verify() is slow on purpose ($7$): the
// broker calls it on libuv's thread pool, never on the event loop. A PasswordFile is
// immutable once parsed, so worker threads may share it through a shared_ptr.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace mote::broker::auth {

enum class HashKind : std::uint8_t { Sha512, Pbkdf2Sha512 };

struct PasswordEntry {
    HashKind kind = HashKind::Pbkdf2Sha512;
    std::uint32_t iterations = 0;       // $7$ only
    std::vector<std::uint8_t> salt;
    std::vector<std::uint8_t> hash;     // 64 bytes
};

// The first problem found in a file: `line` is 1-based (0: the file as a whole).
struct ParseError {
    int line = 0;
    std::string message;
};

// Limits on what a line may hold, so that a hostile or corrupt file cannot make a
// check run for minutes or allocate without bound.
constexpr std::size_t kMaxUsernameBytes = 65535;    // an MQTT string
constexpr std::uint32_t kMaxIterations = 10000000;  // about 10 s of PBKDF2 on a gateway
constexpr std::size_t kMaxSaltBytes = 1024;

class PasswordFile {
public:
    // Parses the whole text. Blank lines and lines starting with '#' are skipped; a
    // trailing CR is ignored. Every other line must be `user:$6$...` or
    // `user:$7$...` with valid base64; a repeated user is an error.
    static bool parse(std::string_view text, PasswordFile& out, ParseError& err);

    // The entry for `user`, or nullptr.
    const PasswordEntry* find(std::string_view user) const;
    std::size_t size() const { return users_.size(); }
    // Users in file order (for mote-passwd, which rewrites the file).
    const std::vector<std::string>& order() const { return order_; }
    // An entry no password matches, as costly as the file's costliest entry: the
    // check of an unknown user runs it, so that the time taken does not tell
    // whether the user exists.
    const PasswordEntry& dummy() const { return dummy_; }

private:
    std::unordered_map<std::string, PasswordEntry> users_;
    std::vector<std::string> order_;
    PasswordEntry dummy_;
};

// True when `password` hashes to `e.hash`; the comparison takes the same time
// wherever the first difference is. A null entry (unknown user) is checked against a
// fixed dummy entry of the same cost and always fails, so the time taken does not
// tell whether the user exists.
bool verify(const PasswordEntry* e, std::string_view password);

// The hash of `password` with `salt` as `kind` (iterations for $7$); 64 bytes, or
// empty if mbedTLS fails.
std::vector<std::uint8_t> digest(HashKind kind, std::uint32_t iterations, const std::vector<std::uint8_t>& salt,
                                 std::string_view password);

// "$7$ITER$SALT$HASH" / "$6$SALT$HASH" for a new password, with a fresh random
// 12-byte salt from mbedTLS's CTR-DRBG. Empty on failure.
std::string make_hash_field(HashKind kind, std::uint32_t iterations, std::string_view password);

// The entry of a `$6$...`/`$7$...` field; false and `why` when it is not valid.
bool parse_hash_field(std::string_view field, PasswordEntry& out, std::string& why);

// Base64 (standard alphabet, with padding) via mbedTLS.
std::string base64_encode(const std::vector<std::uint8_t>& in);
bool base64_decode(std::string_view in, std::vector<std::uint8_t>& out);

}  // namespace mote::broker::auth
