// Password file parsing and checking (see password_file.hpp).
#include "auth/password_file.hpp"

#include <mbedtls/base64.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/md.h>
#include <mbedtls/pkcs5.h>
#include <mbedtls/platform_util.h>
#include <mbedtls/sha512.h>

#include <cstring>

namespace mote::broker::auth {

namespace {

constexpr std::size_t kHashBytes = 64;

std::string_view strip_cr(std::string_view s) {
    while (!s.empty() && (s.back() == '\r' || s.back() == '\n')) s.remove_suffix(1);
    return s;
}

bool parse_iterations(std::string_view s, std::uint32_t& out) {
    if (s.empty() || s.size() > 9) return false;
    std::uint32_t v = 0;
    for (char c : s) {
        if (c < '0' || c > '9') return false;
        v = v * 10U + static_cast<std::uint32_t>(c - '0');
    }
    out = v;
    return true;
}

// The dummy entry that unknown users are checked against: the cost of mosquitto_passwd's
// default, so a miss costs about what a hit on a mosquitto-written line costs. Built per
// call (no static state: worker threads call this concurrently).
PasswordEntry dummy_entry() {
    PasswordEntry d;
    d.kind = HashKind::Pbkdf2Sha512;
    d.iterations = 101;
    d.salt.assign(12, 0x5a);
    d.hash.assign(kHashBytes, 0);
    return d;
}

}  // namespace

std::string base64_encode(const std::vector<std::uint8_t>& in) {
    std::size_t olen = 0;
    mbedtls_base64_encode(nullptr, 0, &olen, in.data(), in.size());
    std::string out(olen, '\0');
    if (mbedtls_base64_encode(reinterpret_cast<unsigned char*>(out.data()), out.size(), &olen, in.data(),
                              in.size()) != 0) {
        return std::string();
    }
    out.resize(olen);
    return out;
}

bool base64_decode(std::string_view in, std::vector<std::uint8_t>& out) {
    if (in.empty()) return false;
    std::size_t olen = 0;
    const auto* src = reinterpret_cast<const unsigned char*>(in.data());
    const int rc = mbedtls_base64_decode(nullptr, 0, &olen, src, in.size());
    if (rc == MBEDTLS_ERR_BASE64_INVALID_CHARACTER) return false;
    out.assign(olen, 0);
    if (mbedtls_base64_decode(out.data(), out.size(), &olen, src, in.size()) != 0) return false;
    out.resize(olen);
    return true;
}

std::vector<std::uint8_t> digest(HashKind kind, std::uint32_t iterations, const std::vector<std::uint8_t>& salt,
                                 std::string_view password) {
    std::vector<std::uint8_t> out(kHashBytes);
    const auto* pw = reinterpret_cast<const unsigned char*>(password.data());
    if (kind == HashKind::Sha512) {
        // mosquitto's $6$: SHA-512 over the password bytes, then the salt bytes.
        mbedtls_sha512_context ctx;
        mbedtls_sha512_init(&ctx);
        const bool ok = mbedtls_sha512_starts_ret(&ctx, 0) == 0 &&
                        mbedtls_sha512_update_ret(&ctx, pw, password.size()) == 0 &&
                        mbedtls_sha512_update_ret(&ctx, salt.data(), salt.size()) == 0 &&
                        mbedtls_sha512_finish_ret(&ctx, out.data()) == 0;
        mbedtls_sha512_free(&ctx);
        if (!ok) out.clear();
        return out;
    }
    mbedtls_md_context_t md;
    mbedtls_md_init(&md);
    const mbedtls_md_info_t* info = mbedtls_md_info_from_type(MBEDTLS_MD_SHA512);
    const bool ok = info != nullptr && mbedtls_md_setup(&md, info, 1) == 0 &&
                    mbedtls_pkcs5_pbkdf2_hmac(&md, pw, password.size(), salt.data(), salt.size(), iterations,
                                              static_cast<std::uint32_t>(out.size()), out.data()) == 0;
    mbedtls_md_free(&md);
    if (!ok) out.clear();
    return out;
}

bool verify(const PasswordEntry* e, std::string_view password) {
    const PasswordEntry dummy = e != nullptr ? PasswordEntry{} : dummy_entry();
    const PasswordEntry& entry = e != nullptr ? *e : dummy;
    std::vector<std::uint8_t> got = digest(entry.kind, entry.iterations, entry.salt, password);
    // Constant time over the whole hash: no early exit at the first difference.
    unsigned char diff = got.size() == entry.hash.size() ? 0 : 1;
    const std::size_t n = std::min(got.size(), entry.hash.size());
    for (std::size_t i = 0; i < n; ++i) diff = static_cast<unsigned char>(diff | (got[i] ^ entry.hash[i]));
    mbedtls_platform_zeroize(got.data(), got.size());
    return diff == 0 && e != nullptr;
}

bool parse_hash_field(std::string_view field, PasswordEntry& out, std::string& why) {
    // "$6$SALT$HASH" or "$7$ITER$SALT$HASH".
    std::vector<std::string_view> parts;
    std::size_t pos = 0;
    while (pos <= field.size()) {
        const std::size_t next = field.find('$', pos);
        if (next == std::string_view::npos) {
            parts.push_back(field.substr(pos));
            break;
        }
        parts.push_back(field.substr(pos, next - pos));
        pos = next + 1;
    }
    if (parts.size() < 2 || !parts[0].empty()) {
        why = "password is not a mosquitto_passwd hash ($6$ or $7$); plain-text passwords are not accepted";
        return false;
    }
    std::string_view salt_b64, hash_b64;
    if (parts[1] == "6") {
        if (parts.size() != 4) {
            why = "a $6$ hash has the form $6$SALT$HASH";
            return false;
        }
        out.kind = HashKind::Sha512;
        out.iterations = 0;
        salt_b64 = parts[2];
        hash_b64 = parts[3];
    } else if (parts[1] == "7") {
        if (parts.size() != 5) {
            why = "a $7$ hash has the form $7$ITERATIONS$SALT$HASH";
            return false;
        }
        out.kind = HashKind::Pbkdf2Sha512;
        if (!parse_iterations(parts[2], out.iterations) || out.iterations < 1 || out.iterations > kMaxIterations) {
            why = "iterations must be an integer from 1 to " + std::to_string(kMaxIterations);
            return false;
        }
        salt_b64 = parts[3];
        hash_b64 = parts[4];
    } else {
        why = "unknown hash type $" + std::string(parts[1]) + "$ (expected $6$ or $7$)";
        return false;
    }
    if (salt_b64.size() > kMaxSaltBytes * 2 || !base64_decode(salt_b64, out.salt) || out.salt.empty()) {
        why = "salt is not valid base64";
        return false;
    }
    if (!base64_decode(hash_b64, out.hash) || out.hash.size() != kHashBytes) {
        why = "hash is not 64 bytes of valid base64";
        return false;
    }
    return true;
}

bool PasswordFile::parse(std::string_view text, PasswordFile& out, ParseError& err) {
    PasswordFile pf;
    pf.dummy_.kind = HashKind::Sha512;  // until a $7$ line raises it
    pf.dummy_.salt.assign(12, 0x5a);
    pf.dummy_.hash.assign(kHashBytes, 0);
    int number = 0;
    std::size_t pos = 0;
    while (pos < text.size()) {
        std::size_t end = text.find('\n', pos);
        if (end == std::string_view::npos) end = text.size();
        const std::string_view line = strip_cr(text.substr(pos, end - pos));
        pos = end + 1;
        ++number;
        if (line.empty() || line[0] == '#') continue;
        const std::size_t colon = line.find(':');
        if (colon == std::string_view::npos) {
            err = {number, "expected 'user:hash' (no ':' on the line)"};
            return false;
        }
        const std::string_view user = line.substr(0, colon);
        if (user.empty()) {
            err = {number, "empty user name"};
            return false;
        }
        if (user.size() > kMaxUsernameBytes) {
            err = {number, "user name longer than 65535 bytes"};
            return false;
        }
        PasswordEntry e;
        std::string why;
        if (!parse_hash_field(line.substr(colon + 1), e, why)) {
            err = {number, "user '" + std::string(user.substr(0, 64)) + "': " + why};
            return false;
        }
        std::string key(user);
        if (pf.users_.count(key) != 0) {
            err = {number, "user '" + std::string(user.substr(0, 64)) + "' given more than once"};
            return false;
        }
        if (e.kind == HashKind::Pbkdf2Sha512 &&
            (pf.dummy_.kind != HashKind::Pbkdf2Sha512 || e.iterations > pf.dummy_.iterations)) {
            pf.dummy_.kind = HashKind::Pbkdf2Sha512;
            pf.dummy_.iterations = e.iterations;
        }
        pf.order_.push_back(key);
        pf.users_.emplace(std::move(key), std::move(e));
    }
    out = std::move(pf);
    return true;
}

const PasswordEntry* PasswordFile::find(std::string_view user) const {
    auto it = users_.find(std::string(user));
    return it == users_.end() ? nullptr : &it->second;
}

std::string make_hash_field(HashKind kind, std::uint32_t iterations, std::string_view password) {
    mbedtls_entropy_context entropy;
    mbedtls_ctr_drbg_context drbg;
    mbedtls_entropy_init(&entropy);
    mbedtls_ctr_drbg_init(&drbg);
    static const unsigned char kPers[] = "mote-passwd salt";
    std::vector<std::uint8_t> salt(12);
    const bool ok = mbedtls_ctr_drbg_seed(&drbg, mbedtls_entropy_func, &entropy, kPers, sizeof kPers - 1) == 0 &&
                    mbedtls_ctr_drbg_random(&drbg, salt.data(), salt.size()) == 0;
    mbedtls_ctr_drbg_free(&drbg);
    mbedtls_entropy_free(&entropy);
    if (!ok) return std::string();
    std::vector<std::uint8_t> h = digest(kind, iterations, salt, password);
    if (h.empty()) return std::string();
    if (kind == HashKind::Sha512) return "$6$" + base64_encode(salt) + "$" + base64_encode(h);
    return "$7$" + std::to_string(iterations) + "$" + base64_encode(salt) + "$" + base64_encode(h);
}

}  // namespace mote::broker::auth
