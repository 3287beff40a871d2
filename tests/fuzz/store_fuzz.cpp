// Store record fuzz target: the durable store's record decoders
// (broker/src/store/record.hpp) read bytes from a database file that may be
// damaged. The first input byte picks the decoder (session, queued delivery,
// retained message); the rest is the record. Besides ASan/UBSan/LSan: whatever
// decodes is encoded again, and that encoding must decode to the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "store/record.hpp"

using namespace mote::broker;

namespace {

// Decodes `rec` as `kind` and encodes what it got into `out`; false when it does
// not decode.
bool roundtrip(std::uint8_t kind, const std::uint8_t* rec, std::size_t n, std::vector<std::uint8_t>& out) {
    const store::Clocks clk{1'000'000, 1'800'000'000'000};
    if (kind == 0) {
        detail::Session s;
        s.client_id = "fuzz";
        bool online = false;
        if (!store::decode_session(rec, n, clk, s, online)) return false;
        s.conn = online ? 1 : 0;
        store::encode_session(s, clk, out);
    } else if (kind == 1) {
        detail::Delivery d;
        if (!store::decode_delivery(rec, n, clk, d)) return false;
        store::encode_delivery(d, clk, out);
    } else {
        MessagePtr m;
        if (!store::decode_message(rec, n, clk, m)) return false;
        store::encode_message(*m, clk, out);
    }
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::uint8_t kind = data[0] % 3;
    std::vector<std::uint8_t> first;
    if (!roundtrip(kind, data + 1, size - 1, first)) return 0;
    // What the encoder writes always decodes, to the same value: its encoding is
    // stable (the first pass may normalise, e.g. sort incoming QoS 2 ids).
    std::vector<std::uint8_t> second;
    if (!roundtrip(kind, first.data(), first.size(), second) || second != first) std::abort();
    return 0;
}
