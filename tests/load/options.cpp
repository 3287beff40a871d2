#include "options.hpp"

#include <arpa/inet.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>

namespace mote::bench {

namespace {

const char kUsage[] =
    "usage: mote-bench [options]\n"
    "  --scenario fan-in|fan-out|many-to-many|storm   (fan-in)\n"
    "  --host ADDR         127.x.x.x or ::1 only            (127.0.0.1)\n"
    "  --port N                                              (1883)\n"
    "  --pubs P --subs S   publishers / subscribers          (8 / 1)\n"
    "  --qos 0|1|2                                           (0)\n"
    "  --payload BYTES     >= 24                             (64)\n"
    "  --rate MSG/S        total over all publishers, 0 = max (0)\n"
    "  --duration SEC | --count N (per publisher)            (5 s)\n"
    "  --window N          QoS 1/2 in-flight per publisher   (16)\n"
    "  --backlog N         max undelivered per subscriber, 0 = off (5000)\n"
    "  --mqtt 3.1.1|5                                        (3.1.1)\n"
    "  --conns C --connect-rate R --hold SEC   storm         (1000, max, 3)\n"
    "  --max-pending N     storm: connects in progress at once (256)\n"
    "  --drain SEC         give up after SEC without any packet from the broker (5)\n"
    "  --time-limit SEC    hard stop (default: duration + drain + 60)\n"
    "  --broker-pid PID    sample the broker's RSS and CPU from /proc\n"
    "  --ws                MQTT over WebSockets (ws://, subprotocol mqtt; not with --tls)\n"
    "  --tls CAFILE        connect over TLS 1.2 (mbedTLS), verifying the broker's\n"
    "                      certificate against CAFILE (host name not checked)\n"
    "  --label TEXT        copied into the JSON line\n"
    "  --session clean|persistent  subscribers' sessions; persistent: 3.1.1 only (clean)\n"
    "  --self-test         check the latency histogram and exit\n"
    "Exit status: 0 ok; 1 errors (loss at QoS 1/2, duplicates at QoS 2, reordering,\n"
    "protocol or connection errors, time limit); 2 bad usage.\n";

bool parse_scenario(const char* v, Scenario& s) {
    if (std::strcmp(v, "fan-in") == 0) s = Scenario::FanIn;
    else if (std::strcmp(v, "fan-out") == 0) s = Scenario::FanOut;
    else if (std::strcmp(v, "many-to-many") == 0) s = Scenario::ManyToMany;
    else if (std::strcmp(v, "storm") == 0) s = Scenario::Storm;
    else return false;
    return true;
}

bool is_loopback(const std::string& host) {
    in_addr a4{};
    if (inet_pton(AF_INET, host.c_str(), &a4) == 1) {
        return (ntohl(a4.s_addr) >> 24) == 127U;
    }
    in6_addr a6{};
    if (inet_pton(AF_INET6, host.c_str(), &a6) == 1) {
        return IN6_IS_ADDR_LOOPBACK(&a6);
    }
    return false;  // names are refused too: only literal loopback addresses
}

bool to_unsigned(const char* v, unsigned long long max, unsigned long long& out) {
    char* end = nullptr;
    out = std::strtoull(v, &end, 10);
    return end != v && *end == '\0' && out <= max && v[0] != '-';
}

bool to_double(const char* v, double& out) {
    char* end = nullptr;
    out = std::strtod(v, &end);
    return end != v && *end == '\0' && out >= 0;
}

bool apply_number(Options& o, const char* name, const char* v) {
    unsigned long long u = 0;
    double d = 0;
    const bool is_u = to_unsigned(v, 0xFFFFFFFFULL, u);
    const bool is_d = to_double(v, d);
    const auto u32 = static_cast<unsigned>(u);
    if (std::strcmp(name, "--port") == 0 && is_u && u > 0 && u < 65536) o.port = static_cast<int>(u);
    else if (std::strcmp(name, "--pubs") == 0 && is_u && u > 0) o.pubs = u32;
    else if (std::strcmp(name, "--subs") == 0 && is_u && u > 0) o.subs = u32;
    else if (std::strcmp(name, "--qos") == 0 && is_u && u <= 2) o.qos = u32;
    else if (std::strcmp(name, "--payload") == 0 && is_u && u >= 24 && u <= 16000000) o.payload = u32;
    else if (std::strcmp(name, "--rate") == 0 && is_d) o.rate = d;
    else if (std::strcmp(name, "--duration") == 0 && is_d && d > 0) o.duration = d;
    else if (std::strcmp(name, "--count") == 0 && is_u) o.count = u;
    else if (std::strcmp(name, "--window") == 0 && is_u && u > 0 && u <= 65535) o.window = u32;
    else if (std::strcmp(name, "--backlog") == 0 && is_u) o.backlog = u;
    else if (std::strcmp(name, "--conns") == 0 && is_u && u > 0) o.conns = u32;
    else if (std::strcmp(name, "--connect-rate") == 0 && is_d) o.connect_rate = d;
    else if (std::strcmp(name, "--hold") == 0 && is_d) o.hold = d;
    else if (std::strcmp(name, "--max-pending") == 0 && is_u && u > 0) o.max_pending = u32;
    else if (std::strcmp(name, "--drain") == 0 && is_d && d > 0) o.drain = d;
    else if (std::strcmp(name, "--time-limit") == 0 && is_d && d > 0) o.time_limit = d;
    else if (std::strcmp(name, "--broker-pid") == 0 && is_u && u > 0) o.broker_pid = static_cast<int>(u);
    else return false;
    return true;
}

}  // namespace

const char* scenario_name(Scenario s) {
    switch (s) {
        case Scenario::FanIn: return "fan-in";
        case Scenario::FanOut: return "fan-out";
        case Scenario::ManyToMany: return "many-to-many";
        case Scenario::Storm: return "storm";
    }
    return "?";
}

bool parse_options(int argc, char** argv, Options& o) {
    for (int i = 1; i < argc; ++i) {
        const char* name = argv[i];
        if (std::strcmp(name, "--help") == 0 || std::strcmp(name, "-h") == 0) {
            std::fputs(kUsage, stdout);
            std::exit(0);
        }
        if (std::strcmp(name, "--ws") == 0) {  // a flag without a value
            o.ws = true;
            continue;
        }
        if (i + 1 >= argc) {
            std::fprintf(stderr, "mote-bench: %s needs a value\n%s", name, kUsage);
            return false;
        }
        const char* v = argv[++i];
        bool ok = true;
        if (std::strcmp(name, "--scenario") == 0) ok = parse_scenario(v, o.scenario);
        else if (std::strcmp(name, "--host") == 0) o.host = v;
        else if (std::strcmp(name, "--label") == 0) o.label = v;
        else if (std::strcmp(name, "--tls") == 0) o.tls_cafile = v;
        else if (std::strcmp(name, "--session") == 0) {
            if (std::strcmp(v, "clean") == 0) o.persistent = false;
            else if (std::strcmp(v, "persistent") == 0) o.persistent = true;
            else ok = false;
        }
        else if (std::strcmp(name, "--mqtt") == 0) {
            if (std::strcmp(v, "3.1.1") == 0 || std::strcmp(v, "4") == 0) o.version = mqtt::Version::V3_1_1;
            else if (std::strcmp(v, "5") == 0 || std::strcmp(v, "5.0") == 0) o.version = mqtt::Version::V5;
            else ok = false;
        } else ok = apply_number(o, name, v);
        if (!ok) {
            std::fprintf(stderr, "mote-bench: bad value for %s: '%s'\n%s", name, v, kUsage);
            return false;
        }
    }
    // The load generator must never be pointed at another machine.
    if (!is_loopback(o.host)) {
        std::fprintf(stderr, "mote-bench: refusing non-loopback host '%s' (127.0.0.0/8 or ::1 only)\n",
                     o.host.c_str());
        return false;
    }
    if (o.persistent && o.version != mqtt::Version::V3_1_1) {
        std::fprintf(stderr, "mote-bench: --session persistent needs --mqtt 3.1.1\n");
        return false;
    }
    if (o.scenario == Scenario::FanIn) o.subs = 1;
    if (o.scenario == Scenario::FanOut) o.pubs = 1;
    if (o.time_limit <= 0) {
        double base = o.scenario == Scenario::Storm ? o.hold + 120 : o.duration;
        if (o.count > 0 && o.scenario != Scenario::Storm) base = 600;  // counted runs: no duration known
        o.time_limit = base + o.drain + 60;
    }
    return true;
}

}  // namespace mote::bench
