// mote-passwd: manages password files with mosquitto_passwd's command line
//   mote-passwd [-H sha512 | -H sha512-pbkdf2] [-I ITERATIONS] [-c | -D] FILE USER
//   mote-passwd [-H sha512 | -H sha512-pbkdf2] [-I ITERATIONS] [-c] -b FILE USER PASSWORD
//   mote-passwd -U FILE
// The default hash is $7$ (PBKDF2-HMAC-SHA512) with kDefaultIterations rounds instead
// of mosquitto_passwd's 101 (docs/security.md says why); the file stays readable by
// mosquitto. Exit status: 0 done, 1 error (the message says which), 2 usage error.
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "auth/password_file.hpp"

namespace {

using mote::broker::auth::HashKind;

// PBKDF2-HMAC-SHA512 rounds of a new $7$ hash (docs/security.md).
constexpr std::uint32_t kDefaultIterations = 20000;

struct Options {
    bool batch = false;
    bool create = false;
    bool remove = false;
    bool upgrade = false;
    HashKind kind = HashKind::Pbkdf2Sha512;
    std::uint32_t iterations = kDefaultIterations;
    std::vector<std::string> args;
};

int usage(const char* why) {
    if (why != nullptr) std::fprintf(stderr, "mote-passwd: %s\n", why);
    std::fprintf(stderr,
                 "Usage: mote-passwd [-H sha512 | -H sha512-pbkdf2] [-I iterations] [-c | -D] passwordfile username\n"
                 "       mote-passwd [-H sha512 | -H sha512-pbkdf2] [-I iterations] [-c] -b passwordfile username "
                 "password\n"
                 "       mote-passwd -U passwordfile\n"
                 " -b : batch mode: the password is given on the command line.\n"
                 " -c : create a new password file (overwrites an existing one).\n"
                 " -D : delete the user instead of adding or updating its password.\n"
                 " -H : hash: sha512-pbkdf2 ($7$, the default) or sha512 ($6$, weak; for old brokers).\n"
                 " -I : PBKDF2 iterations for sha512-pbkdf2 (default %u; mosquitto_passwd uses 101).\n"
                 " -U : hash every plain-text password of a 'user:password' file.\n",
                 static_cast<unsigned>(kDefaultIterations));
    return 2;
}

bool parse_args(int argc, char** argv, Options& o, std::string& why) {
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        if (a == "-b") {
            o.batch = true;
        } else if (a == "-c") {
            o.create = true;
        } else if (a == "-D") {
            o.remove = true;
        } else if (a == "-U") {
            o.upgrade = true;
        } else if (a == "-H" || a == "-I") {
            if (i + 1 >= argc) {
                why = a + " needs a value";
                return false;
            }
            const std::string v = argv[++i];
            if (a == "-H") {
                if (v == "sha512") {
                    o.kind = HashKind::Sha512;
                } else if (v == "sha512-pbkdf2") {
                    o.kind = HashKind::Pbkdf2Sha512;
                } else {
                    why = "-H: unknown hash '" + v + "' (expected sha512 or sha512-pbkdf2)";
                    return false;
                }
            } else {
                char* end = nullptr;
                errno = 0;
                const unsigned long n = std::strtoul(v.c_str(), &end, 10);
                if (v.empty() || *end != '\0' || errno != 0 || n < 1 || n > mote::broker::auth::kMaxIterations) {
                    why = "-I: expected an integer from 1 to " + std::to_string(mote::broker::auth::kMaxIterations);
                    return false;
                }
                o.iterations = static_cast<std::uint32_t>(n);
            }
        } else if (a.size() > 1 && a[0] == '-') {
            why = "unknown option " + a;
            return false;
        } else {
            o.args.push_back(a);
        }
    }
    const std::size_t want = o.upgrade ? 1 : (o.batch ? 3 : 2);
    if (o.args.size() != want) {
        why = "wrong number of arguments";
        return false;
    }
    if ((o.create && o.remove) || (o.upgrade && (o.create || o.remove || o.batch)) || (o.batch && o.remove)) {
        why = "these options cannot be combined";
        return false;
    }
    return true;
}

bool read_file(const std::string& path, std::string& text, std::string& why) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        why = "cannot open password file " + path + ": " + std::strerror(errno);
        return false;
    }
    std::ostringstream ss;
    ss << in.rdbuf();
    text = ss.str();
    return true;
}

// Writes through a temporary file and rename(), so a crash never leaves half a file;
// the file is readable by its owner only.
bool write_file(const std::string& path, const std::string& text, std::string& why) {
    const std::string tmp = path + ".tmp";
    FILE* f = std::fopen(tmp.c_str(), "wb");
    if (f == nullptr) {
        why = "cannot write " + tmp + ": " + std::strerror(errno);
        return false;
    }
    // An existing file keeps its mode (mosquitto, running as its own user, may need
    // to read it); a new one is readable by its owner only.
    struct stat st {};
    const mode_t mode = ::stat(path.c_str(), &st) == 0 ? (st.st_mode & 07777) : 0600;
    ::fchmod(fileno(f), mode);
    const bool ok = std::fwrite(text.data(), 1, text.size(), f) == text.size() && std::fflush(f) == 0 &&
                    ::fsync(fileno(f)) == 0;
    std::fclose(f);
    if (!ok || std::rename(tmp.c_str(), path.c_str()) != 0) {
        why = "cannot write " + path + ": " + std::strerror(errno);
        std::remove(tmp.c_str());
        return false;
    }
    return true;
}

bool read_password_line(const char* prompt, std::string& out) {
    std::fputs(prompt, stdout);
    std::fflush(stdout);
    termios old{};
    const bool tty = ::isatty(STDIN_FILENO) != 0 && ::tcgetattr(STDIN_FILENO, &old) == 0;
    if (tty) {
        termios quiet = old;
        quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
        ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    out.clear();
    int c = 0;
    bool got = false;
    while ((c = std::getchar()) != EOF) {
        got = true;
        if (c == '\n') break;
        out.push_back(static_cast<char>(c));
    }
    if (!out.empty() && out.back() == '\r') out.pop_back();
    if (tty) ::tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
    std::fputs("\n", stdout);
    return got;
}

bool prompt_password(std::string& pw, std::string& why) {
    std::string again;
    if (!read_password_line("Password: ", pw) || !read_password_line("Reenter password: ", again)) {
        why = "no password read";
        return false;
    }
    if (pw != again) {
        why = "passwords do not match";
        return false;
    }
    return true;
}

// Lines of a file, without their line ends.
std::vector<std::string> lines_of(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line.back() == '\r') line.pop_back();
        out.push_back(line);
    }
    return out;
}

bool is_hashed(const std::string& field) { return field.rfind("$6$", 0) == 0 || field.rfind("$7$", 0) == 0; }

int fail(const std::string& why) {
    std::fprintf(stderr, "mote-passwd: error: %s\n", why.c_str());
    return 1;
}

int upgrade(const Options& o) {
    std::string text, why;
    if (!read_file(o.args[0], text, why)) return fail(why);
    std::string out;
    int number = 0;
    for (const std::string& line : lines_of(text)) {
        ++number;
        const std::size_t colon = line.find(':');
        if (line.empty() || line[0] == '#' || colon == std::string::npos || is_hashed(line.substr(colon + 1))) {
            if (!line.empty() && line[0] != '#' && colon == std::string::npos) {
                return fail(o.args[0] + ":" + std::to_string(number) + ": expected 'user:password'");
            }
            out += line + "\n";  // comments and already hashed lines stay as they are
            continue;
        }
        const std::string field = mote::broker::auth::make_hash_field(o.kind, o.iterations, line.substr(colon + 1));
        if (field.empty()) return fail("hashing failed");
        out += line.substr(0, colon) + ":" + field + "\n";
    }
    return write_file(o.args[0], out, why) ? 0 : fail(why);
}

int update(const Options& o) {
    const std::string& path = o.args[0];
    const std::string& user = o.args[1];
    if (user.empty() || user.find(':') != std::string::npos || user.size() > mote::broker::auth::kMaxUsernameBytes) {
        return fail("user name must be 1 to 65535 bytes without ':'");
    }
    std::string why;
    std::vector<std::string> lines;
    if (!o.create) {
        std::string text;
        if (!read_file(path, text, why)) return fail(why);
        lines = lines_of(text);
    }
    std::string field;
    if (!o.remove) {
        std::string pw;
        if (o.batch) {
            pw = o.args[2];
        } else if (!prompt_password(pw, why)) {
            return fail(why);
        }
        if (pw.size() > 65535) return fail("password longer than 65535 bytes");
        field = mote::broker::auth::make_hash_field(o.kind, o.iterations, pw);
        if (field.empty()) return fail("hashing failed");
    }
    std::string out;
    bool found = false;
    for (const std::string& line : lines) {
        if (line.compare(0, user.size() + 1, user + ":") == 0) {
            found = true;
            if (!o.remove) out += user + ":" + field + "\n";
            continue;
        }
        if (!line.empty()) out += line + "\n";
    }
    if (o.remove && !found) return fail("user " + user + " not in " + path);
    if (!o.remove && !found) out += user + ":" + field + "\n";
    return write_file(path, out, why) ? 0 : fail(why);
}

}  // namespace

int main(int argc, char** argv) {
    if (argc == 1) return usage(nullptr);
    Options o;
    std::string why;
    if (!parse_args(argc, argv, o, why)) return usage(why.c_str());
    return o.upgrade ? upgrade(o) : update(o);
}
