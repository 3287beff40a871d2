// Structured, levelled log lines: "2026-11-22T08:00:00.123Z info connect client=abc ...".
// A Logger belongs to the Broker (no global logger), and writes synchronously to its
// destinations; it is used for connection events, never per message.
#pragma once

#include <cstdarg>
#include <cstdio>
#include <string>
#include <vector>

#include "mote/broker/config.hpp"

namespace mote::broker {

class Logger {
public:
    Logger();
    ~Logger();
    Logger(const Logger&) = delete;
    Logger& operator=(const Logger&) = delete;

    // Applies log_dest/log_type from the config; false with `error` set when a log
    // file cannot be opened.
    bool configure(const BrokerConfig& cfg, std::string& error);
    void set_verbose(bool on);  // -v: also debug

    bool enabled(LogLevel level) const;
    void log(LogLevel level, const char* fmt, ...) __attribute__((format(printf, 3, 4)));
    void vlog(LogLevel level, const char* fmt, std::va_list ap);

private:
    std::vector<std::FILE*> sinks_;
    std::vector<std::FILE*> owned_;  // files we opened and must close
    unsigned mask_;
};

}  // namespace mote::broker
