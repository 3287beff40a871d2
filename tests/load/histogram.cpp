#include "histogram.hpp"

namespace mote::bench {

unsigned Histogram::index_of(std::uint64_t v) {
    if (v < 2 * kSub) {
        return static_cast<unsigned>(v);
    }
    const unsigned msb = 63U - static_cast<unsigned>(__builtin_clzll(v));
    // Shift so that the top kSubBits+1 bits remain: (v >> shift) is in [kSub, 2*kSub).
    const unsigned shift = msb - kSubBits;
    const std::uint64_t idx = static_cast<std::uint64_t>(shift) * kSub + (v >> shift);
    return idx < kBuckets ? static_cast<unsigned>(idx) : kBuckets - 1;
}

std::uint64_t Histogram::upper_of(unsigned idx) {
    if (idx >= kBuckets) idx = kBuckets - 1;
    if (idx < 2 * kSub) {
        return idx;
    }
    const unsigned shift = idx / kSub - 1;
    const std::uint64_t mant = idx - static_cast<std::uint64_t>(shift) * kSub;
    return ((mant + 1) << shift) - 1;
}

void Histogram::record(std::uint64_t v) {
    ++counts_[index_of(v)];
    ++count_;
    if (v > max_) max_ = v;
    if (v < min_) min_ = v;
}

void Histogram::merge(const Histogram& o) {
    for (unsigned i = 0; i < kBuckets; ++i) counts_[i] += o.counts_[i];
    count_ += o.count_;
    if (o.max_ > max_) max_ = o.max_;
    if (o.min_ < min_) min_ = o.min_;
}

std::uint64_t Histogram::quantile(double q) const {
    if (count_ == 0) return 0;
    auto rank = static_cast<std::uint64_t>(q * static_cast<double>(count_) + 0.999999);
    if (rank == 0) rank = 1;
    if (rank > count_) rank = count_;
    std::uint64_t seen = 0;
    for (unsigned i = 0; i < kBuckets; ++i) {
        seen += counts_[i];
        if (seen >= rank) {
            const std::uint64_t up = upper_of(i);
            return up < max_ ? up : max_;  // never report above the largest sample
        }
    }
    return max_;
}

}  // namespace mote::bench
