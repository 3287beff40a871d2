// The human summary and the machine-readable "JSON " line of one run.
#include <sys/resource.h>

#include <cstdio>
#include <string>

#include "bench.hpp"

namespace mote::bench {

namespace {

double secs(std::uint64_t ns) { return static_cast<double>(ns) / 1e9; }
double us(std::uint64_t ns) { return static_cast<double>(ns) / 1e3; }

std::string json_escape(const std::string& s) {
    std::string r;
    for (char ch : s) {
        if (ch == '"' || ch == '\\') r += '\\';
        if (static_cast<unsigned char>(ch) < 0x20) continue;
        r += ch;
    }
    return r;
}

}  // namespace

int Bench::report() {
    const bool storm = o_.scenario == Scenario::Storm;
    const std::uint64_t expected = k_.published * expected_per_message();
    const std::uint64_t unique = unique_total();
    const std::uint64_t lost = expected > unique ? expected - unique : 0;
    const double pub_s = t_stop_ > t_start_ && t_start_ != 0 ? secs(t_stop_ - t_start_) : 0;
    const std::uint64_t deliv_end = t_last_delivery_ > t_start_ ? t_last_delivery_ : t_stop_;
    const double deliv_s = deliv_end > t_start_ && t_start_ != 0 ? secs(deliv_end - t_start_) : 0;
    const double pub_rate = pub_s > 0 ? static_cast<double>(k_.published) / pub_s : 0;
    const double deliv_rate = deliv_s > 0 ? static_cast<double>(k_.delivered) / deliv_s : 0;
    const double ratio = expected > 0 ? static_cast<double>(unique) / static_cast<double>(expected) : 0;
    const bool have_broker = o_.broker_pid > 0 && before_.ok && after_.ok;
    const bool have_storm_broker = o_.broker_pid > 0 && baseline_.ok && after_.ok;
    const double cpu = have_broker ? after_.cpu_seconds - before_.cpu_seconds : 0;
    const double per_cpu = cpu > 0 ? static_cast<double>(k_.delivered) / cpu : 0;
    // The loader's own CPU time: if it nears the run time, the loader is the bottleneck.
    rusage ru{};
    getrusage(RUSAGE_SELF, &ru);
    const double self_cpu = static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                            static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    const double connect_s = t_connected_ > t_setup_ ? secs(t_connected_ - t_setup_) : 0;
    const double connect_rate = connect_s > 0 ? static_cast<double>(ready_) / connect_s : 0;
    const double rss_per_conn = storm && have_storm_broker && ready_ > 0
        ? (static_cast<double>(after_.rss_bytes) - static_cast<double>(baseline_.rss_bytes)) / static_cast<double>(ready_)
        : 0;

    // What counts as an error: any loss at QoS 1/2 (at least once), any duplicate at
    // QoS 0 or 2 (at most once / exactly once), any reordering within one publisher's
    // topic (§4.6), QoS 2 id reuse, and every protocol or connection failure.
    std::string errors;
    auto add = [&](bool cond, const std::string& what) {
        if (cond) errors += (errors.empty() ? "" : "; ") + what;
    };
    add(!storm && o_.qos > 0 && lost > 0, std::to_string(lost) + " lost at QoS " + std::to_string(o_.qos));
    add(!storm && o_.qos != 1 && k_.duplicates > 0, std::to_string(k_.duplicates) + " duplicates");
    add(k_.reordered > 0, std::to_string(k_.reordered) + " reordered");
    add(k_.id_reuse > 0, std::to_string(k_.id_reuse) + " QoS 2 packet ids reused before PUBREL");
    add(k_.protocol_errors > 0, std::to_string(k_.protocol_errors) + " protocol errors");
    add(k_.rejected > 0, std::to_string(k_.rejected) + " publishes rejected");
    add(k_.foreign > 0, std::to_string(k_.foreign) + " foreign payloads");
    add(k_.conn_errors > 0, "connection error: " + first_error_);
    add(!storm && k_.published == 0, "nothing published");
    add(!storm && k_.published > 0 && k_.delivered == 0, "nothing delivered");
    add(time_limit_hit_, "hard time limit reached");
    add(storm && ready_ < o_.conns, std::to_string(o_.conns - ready_) + " connections not established");

    std::printf("mote-bench %s%s%s: %s\n", scenario_name(o_.scenario), o_.label.empty() ? "" : " ", o_.label.c_str(),
                finish_reason_.c_str());
    if (storm) {
        std::printf("  connections    %u of %u in %.3f s (%.0f conn/s), held %.1f s\n", ready_, o_.conns, connect_s,
                    connect_rate, o_.hold);
        if (have_storm_broker) {
            std::printf("  broker RSS     %.1f MiB -> %.1f MiB: %.0f bytes per connection\n",
                        static_cast<double>(baseline_.rss_bytes) / 1048576.0,
                        static_cast<double>(after_.rss_bytes) / 1048576.0, rss_per_conn);
        }
    } else {
        std::printf("  setup          %u publishers, %u subscribers, QoS %u, %u-byte payload, MQTT %s, window %u\n",
                    o_.pubs, o_.subs, o_.qos, o_.payload, mqtt::is_v5(o_.version) ? "5.0" : "3.1.1", o_.window);
        std::printf("  published      %llu in %.3f s = %.0f msg/s\n", static_cast<unsigned long long>(k_.published), pub_s, pub_rate);
        std::printf("  delivered      %llu in %.3f s = %.0f msg/s, %llu/%llu expected (%.6f)\n",
                    static_cast<unsigned long long>(k_.delivered), deliv_s, deliv_rate,
                    static_cast<unsigned long long>(unique), static_cast<unsigned long long>(expected), ratio);
        std::printf("  latency (us)   p50 %.1f  p99 %.1f  p99.9 %.1f  max %.1f  (%llu samples)\n", us(lat_.quantile(0.5)),
                    us(lat_.quantile(0.99)), us(lat_.quantile(0.999)), us(lat_.max()),
                    static_cast<unsigned long long>(lat_.count()));
        std::printf("  checks         duplicates %llu, reordered %llu, id reuse %llu\n",
                    static_cast<unsigned long long>(k_.duplicates), static_cast<unsigned long long>(k_.reordered),
                    static_cast<unsigned long long>(k_.id_reuse));
        if (have_broker) {
            std::printf("  broker         RSS %.1f -> %.1f MiB, CPU %.2f s, %.0f deliveries per CPU-second\n",
                        static_cast<double>(before_.rss_bytes) / 1048576.0, static_cast<double>(after_.rss_bytes) / 1048576.0,
                        cpu, per_cpu);
        }
    }
    std::printf("  mote-bench     CPU %.2f s over %.2f s\n", self_cpu, secs(t_end_ - t_setup_));
    std::printf("  result         %s\n", errors.empty() ? "OK" : ("ERROR: " + errors).c_str());

    std::printf(
        "JSON {\"scenario\":\"%s\",\"label\":\"%s\",\"mqtt\":\"%s\",\"qos\":%u,\"pubs\":%u,\"subs\":%u,\"payload\":%u,"
        "\"rate\":%.0f,\"window\":%u,\"end\":\"%s\",\"published\":%llu,\"delivered\":%llu,\"expected\":%llu,"
        "\"unique\":%llu,\"lost\":%llu,\"ratio\":%.6f,\"pub_per_s\":%.1f,\"deliv_per_s\":%.1f,\"duplicates\":%llu,"
        "\"reordered\":%llu,\"id_reuse\":%llu,\"protocol_errors\":%llu,\"lat_p50_us\":%.1f,\"lat_p99_us\":%.1f,"
        "\"lat_p999_us\":%.1f,\"lat_max_us\":%.1f,\"conns\":%u,\"connected\":%u,\"connect_per_s\":%.1f,"
        "\"broker_rss_before\":%llu,\"broker_rss_after\":%llu,\"rss_per_conn\":%.1f,\"broker_cpu_s\":%.3f,"
        "\"deliv_per_cpu_s\":%.1f,\"bench_cpu_s\":%.3f,\"elapsed_s\":%.3f,\"errors\":\"%s\",\"ok\":%s}\n",
        scenario_name(o_.scenario), json_escape(o_.label).c_str(), mqtt::is_v5(o_.version) ? "5.0" : "3.1.1", o_.qos,
        storm ? 0 : o_.pubs, storm ? 0 : o_.subs, o_.payload, o_.rate, o_.window, finish_reason_.c_str(),
        static_cast<unsigned long long>(k_.published), static_cast<unsigned long long>(k_.delivered),
        static_cast<unsigned long long>(expected), static_cast<unsigned long long>(unique),
        static_cast<unsigned long long>(lost), ratio, pub_rate, deliv_rate,
        static_cast<unsigned long long>(k_.duplicates), static_cast<unsigned long long>(k_.reordered),
        static_cast<unsigned long long>(k_.id_reuse), static_cast<unsigned long long>(k_.protocol_errors),
        us(lat_.quantile(0.5)), us(lat_.quantile(0.99)), us(lat_.quantile(0.999)), us(lat_.max()),
        storm ? o_.conns : 0, storm ? ready_ : 0, connect_rate,
        static_cast<unsigned long long>(storm ? baseline_.rss_bytes : before_.rss_bytes),
        static_cast<unsigned long long>(after_.rss_bytes), rss_per_conn, cpu, per_cpu, self_cpu, secs(t_end_ - t_setup_), json_escape(errors).c_str(),
        errors.empty() ? "true" : "false");
    std::fflush(stdout);
    return errors.empty() ? 0 : 1;
}

}  // namespace mote::bench
