// The persistence options (docs/persistence.md): mosquitto's `persistence`,
// `persistence_location` and `persistence_file`, and Mote's durability settings.
#include "config/config_options.hpp"

namespace mote::broker::config_detail {

bool Parser::on_persistence(const Line& ln) { return boolean(ln, cfg_.persistence); }

bool Parser::on_persistence_location(const Line& ln) {
    // mosquitto takes the rest of the line, so a directory may contain blanks.
    cfg_.persistence_location = ln.rest;
    return true;
}

bool Parser::on_persistence_file(const Line& ln) {
    if (!one_arg(ln, "a file name")) {
        return false;
    }
    if (ln.args[0].find('/') != std::string::npos) {
        return fail(ln, "expected a file name without '/', got '" + ln.args[0] +
                            "' (the directory is persistence_location)");
    }
    cfg_.persistence_file = ln.args[0];
    return true;
}

bool Parser::on_persistence_durability(const Line& ln) {
    if (!one_arg(ln, "strict or relaxed")) {
        return false;
    }
    if (ln.args[0] == "strict") {
        cfg_.persistence_durability = Durability::Strict;
    } else if (ln.args[0] == "relaxed") {
        cfg_.persistence_durability = Durability::Relaxed;
    } else {
        return fail(ln, "expected strict or relaxed, got '" + ln.args[0] + "'");
    }
    return true;
}

bool Parser::on_persistence_interval_ms(const Line& ln) {
    std::uint64_t v = 0;
    if (!number(ln, 10, 60000, v)) {
        return false;
    }
    cfg_.persistence_interval_ms = static_cast<std::uint32_t>(v);
    return true;
}

bool Parser::on_persistence_max_bytes(const Line& ln) {
    // 0: no cap. Otherwise at least 64 KiB: SQLite needs a few pages for its schema.
    std::uint64_t v = 0;
    if (!number(ln, 0, 1ULL << 50, v)) {
        return false;
    }
    if (v != 0 && v < 65536) {
        return fail(ln, "expected 0 or at least 65536 bytes, got '" + ln.args[0] + "'");
    }
    cfg_.persistence_max_bytes = v;
    return true;
}

}  // namespace mote::broker::config_detail
