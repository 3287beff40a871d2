// Logger: levelled, timestamped lines written synchronously to the configured sinks.
// Lines look like "2026-11-22T08:00:00.123Z info connect client=abc": an ISO 8601
// UTC timestamp with milliseconds, the level name, then the message. Each line is
// formatted into one buffer and written with a single fwrite so that two sinks (or
// two processes appending to one file) never interleave half lines.
#include "mote/broker/log.hpp"

#include <cerrno>
#include <cstring>
#include <ctime>
#include <utility>
#include <sys/time.h>

namespace mote::broker {

namespace {

constexpr unsigned level_bit(LogLevel level) { return 1U << static_cast<unsigned>(level); }

// mosquitto's default log_type is error, warning, notice and information.
constexpr unsigned kDefaultMask = level_bit(LogLevel::Info) | level_bit(LogLevel::Notice) |
                                  level_bit(LogLevel::Warning) | level_bit(LogLevel::Error);
// Bits of BrokerConfig::log_mask that name levels; the config parser uses a bit
// above these (0x80) to say "log_type was given" so that "log_type none" (no level
// bits) is distinguishable from "not configured" (0).
constexpr unsigned kLevelBits = 0x1FU;
// Kept in mask_ above the level bits: -v was given, so debug survives a reload.
constexpr unsigned kVerboseFlag = 0x100U;

const char* level_name(LogLevel level) {
    switch (level) {
    case LogLevel::Debug: return "debug";
    case LogLevel::Info: return "info";
    case LogLevel::Notice: return "notice";
    case LogLevel::Warning: return "warning";
    case LogLevel::Error: return "error";
    }
    return "?";
}

// Writes "YYYY-MM-DDTHH:MM:SS.mmmZ" into buf (at least 25 bytes); returns its length.
std::size_t format_timestamp(char* buf, std::size_t size) {
    struct timeval tv {};
    gettimeofday(&tv, nullptr);
    std::tm utc{};
    const std::time_t secs = tv.tv_sec;
    gmtime_r(&secs, &utc);
    const std::size_t n = std::strftime(buf, size, "%Y-%m-%dT%H:%M:%S", &utc);
    const int ms = static_cast<int>(tv.tv_usec / 1000);
    const int m = std::snprintf(buf + n, size - n, ".%03dZ", ms);
    return n + (m > 0 ? static_cast<std::size_t>(m) : 0U);
}

}  // namespace

Logger::Logger() : sinks_{stderr}, mask_{kDefaultMask} {}

Logger::~Logger() {
    for (std::FILE* f : owned_) {
        std::fclose(f);
    }
}

bool Logger::configure(const BrokerConfig& cfg, std::string& error) {
    // Open everything first, so that a failure (e.g. on SIGHUP reload) leaves the
    // previous destinations in place rather than a half-configured logger.
    std::vector<std::FILE*> sinks;
    std::vector<std::FILE*> owned;
    const bool want_default = cfg.log_dest.empty();
    for (const std::string& dest : cfg.log_dest) {
        if (dest == "stderr") {
            sinks.push_back(stderr);
        } else if (dest == "stdout") {
            sinks.push_back(stdout);
        } else if (dest == "none") {
            // "none" contributes no sink; with nothing else given, nothing is logged.
        } else if (dest.compare(0, 5, "file ") == 0) {
            const std::string path = dest.substr(5);
            std::FILE* f = std::fopen(path.c_str(), "a");
            if (f == nullptr) {
                error = "log_dest file " + path + ": " + std::strerror(errno);
                for (std::FILE* g : owned) {
                    std::fclose(g);
                }
                return false;
            }
            sinks.push_back(f);
            owned.push_back(f);
        } else {
            error = "log_dest: unknown destination '" + dest + "'";
            for (std::FILE* g : owned) {
                std::fclose(g);
            }
            return false;
        }
    }
    if (want_default) {
        sinks.push_back(stderr);
    }
    for (std::FILE* f : owned_) {
        std::fclose(f);
    }
    sinks_ = std::move(sinks);
    owned_ = std::move(owned);
    const bool verbose = (mask_ & kVerboseFlag) != 0;
    mask_ = cfg.log_mask == 0 ? kDefaultMask : (cfg.log_mask & kLevelBits);
    if (verbose) {
        mask_ |= kVerboseFlag | level_bit(LogLevel::Debug);
    }
    return true;
}

void Logger::set_verbose(bool on) {
    // mosquitto's -v turns on every log type; here it adds debug to whatever
    // log_type enabled, and survives a later configure() (SIGHUP reload).
    if (on) {
        mask_ |= kVerboseFlag | level_bit(LogLevel::Debug);
    } else {
        mask_ &= ~(kVerboseFlag | level_bit(LogLevel::Debug));
    }
}

bool Logger::enabled(LogLevel level) const {
    return (mask_ & level_bit(level)) != 0 && !sinks_.empty();
}

void Logger::log(LogLevel level, const char* fmt, ...) {
    std::va_list ap;
    va_start(ap, fmt);
    vlog(level, fmt, ap);
    va_end(ap);
}

void Logger::vlog(LogLevel level, const char* fmt, std::va_list ap) {
    if (!enabled(level)) {
        return;
    }
    // Connection events are short; a longer message is truncated rather than
    // allocated, and the line always ends with a newline.
    char line[1024];
    std::size_t n = format_timestamp(line, sizeof line);
    const int h = std::snprintf(line + n, sizeof line - n, " %s ", level_name(level));
    if (h > 0) {
        n += static_cast<std::size_t>(h);
    }
    const int m = std::vsnprintf(line + n, sizeof line - n, fmt, ap);
    if (m > 0) {
        n += static_cast<std::size_t>(m);
    }
    if (n > sizeof line - 2) {
        n = sizeof line - 2;
    }
    line[n++] = '\n';
    for (std::FILE* f : sinks_) {
        std::fwrite(line, 1, n, f);
        std::fflush(f);
    }
}

}  // namespace mote::broker
