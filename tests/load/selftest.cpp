// `mote-bench --self-test`: checks the latency histogram against exact quantiles of
// known data, so a broken bucket mapping cannot silently skew every report.
#include "selftest.hpp"

#include <algorithm>
#include <cstdio>
#include <random>
#include <vector>

#include "histogram.hpp"

namespace mote::bench {

namespace {

int g_failures = 0;

void expect(bool ok, const char* what, unsigned long long a, unsigned long long b) {
    if (!ok) {
        std::printf("self-test FAILED: %s (%llu vs %llu)\n", what, a, b);
        ++g_failures;
    }
}

// Every reported quantile must be >= the exact one and within one bucket (1/64).
void check_against_exact(std::vector<std::uint64_t> v) {
    Histogram h;
    for (std::uint64_t x : v) h.record(x);
    std::sort(v.begin(), v.end());
    for (double q : {0.5, 0.9, 0.99, 0.999, 1.0}) {
        auto rank = static_cast<std::size_t>(q * static_cast<double>(v.size()) + 0.999999);
        if (rank == 0) rank = 1;
        const std::uint64_t exact = v[rank - 1];
        const std::uint64_t got = h.quantile(q);
        expect(got >= exact, "quantile below the exact value", got, exact);
        expect(got <= exact + exact / 64 + 1, "quantile more than one bucket above", got, exact);
    }
    expect(h.max() == v.back(), "max", h.max(), v.back());
    expect(h.count() == v.size(), "count", h.count(), v.size());
}

}  // namespace

int self_test() {
    // Bucket mapping: monotonic, and every value lies within its bucket.
    unsigned prev = 0;
    for (std::uint64_t v = 0; v < (1ULL << 40); v = v < 1000 ? v + 1 : v + v / 97) {
        const unsigned idx = Histogram::index_of(v);
        expect(idx >= prev, "index_of is monotonic", idx, prev);
        expect(Histogram::upper_of(idx) >= v, "value within its bucket", Histogram::upper_of(idx), v);
        if (idx > 0) {
            const std::uint64_t below = Histogram::upper_of(idx - 1);
            expect(below < v, "value above the previous bucket", below, v);
        }
        prev = idx;
    }
    std::mt19937_64 rng(42);
    std::vector<std::uint64_t> v;
    std::lognormal_distribution<double> lat(11.0, 1.5);  // ~60 us median, long tail
    for (int i = 0; i < 200000; ++i) v.push_back(static_cast<std::uint64_t>(lat(rng)));
    check_against_exact(v);
    v.assign(1000, 5);  // all equal, exact range
    check_against_exact(v);
    v.clear();
    for (std::uint64_t i = 1; i <= 100000; ++i) v.push_back(i * 1000);
    check_against_exact(v);
    std::printf("self-test: %s\n", g_failures == 0 ? "OK" : "FAILED");
    return g_failures == 0 ? 0 : 1;
}

}  // namespace mote::bench
