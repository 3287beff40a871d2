// A log-bucketed latency histogram in the style of HdrHistogram: values below 2^7
// are exact, and above that every power-of-two range is split into 64 equal
// sub-buckets, so any recorded value is reported within 1/64 (1.6 %) of itself.
// Fixed memory (a few KB), O(1) record, no allocation after construction.
#pragma once

#include <array>
#include <cstdint>

namespace mote::bench {

class Histogram {
public:
    static constexpr unsigned kSubBits = 6;  // 64 sub-buckets per power of two
    static constexpr unsigned kSub = 1U << kSubBits;
    // Values up to 2^48 ns (about 3 days) fit; larger ones land in the last bucket.
    static constexpr unsigned kBuckets = (48 - kSubBits + 1) * kSub + kSub;

    void record(std::uint64_t v);
    void merge(const Histogram& o);
    std::uint64_t count() const { return count_; }
    std::uint64_t max() const { return max_; }
    std::uint64_t min() const { return count_ ? min_ : 0; }
    // The smallest value v such that at least q (0..1] of the samples are <= v,
    // reported as the upper edge of its bucket (never below the true quantile).
    std::uint64_t quantile(double q) const;

    // Bucket mapping, exposed for the unit checks of the smoke test.
    static unsigned index_of(std::uint64_t v);
    static std::uint64_t upper_of(unsigned idx);

private:
    std::array<std::uint64_t, kBuckets> counts_{};
    std::uint64_t count_ = 0;
    std::uint64_t max_ = 0;
    std::uint64_t min_ = UINT64_MAX;
};

}  // namespace mote::bench
