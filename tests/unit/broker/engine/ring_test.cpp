// detail::Ring, the FIFO behind a session's queue and in-flight window: order is kept
// through pushes, pops and erases at any index, including across the wrap of its
// buffer and its growth.
#include "../../../../broker/src/engine/ring.hpp"

#include <CppUTest/TestHarness.h>

#include <memory>
#include <vector>

using mote::broker::detail::Ring;

namespace {

std::vector<int> contents(Ring<std::unique_ptr<int>>& r) {
    std::vector<int> v;
    for (std::size_t i = 0; i < r.size(); ++i) v.push_back(*r[i]);
    return v;
}

void push(Ring<std::unique_ptr<int>>& r, int x) { r.push_back(std::make_unique<int>(x)); }

}  // namespace

TEST_GROUP(Ring) {};

TEST(Ring, EraseAtEveryIndexKeepsTheOrderAcrossTheWrap) {
    for (std::size_t at = 0; at < 6; ++at) {
        Ring<std::unique_ptr<int>> r;
        // Head moved forward so that the six elements wrap around the 8-slot buffer.
        for (int x = 0; x < 5; ++x) push(r, x);
        for (int x = 0; x < 5; ++x) CHECK_EQUAL(x, *r.pop_front());
        for (int x = 10; x < 16; ++x) push(r, x);
        std::vector<int> want = {10, 11, 12, 13, 14, 15};
        want.erase(want.begin() + static_cast<std::ptrdiff_t>(at));
        r.erase(at);
        CHECK(contents(r) == want);
        push(r, 99);  // the slot an erase freed is reused, in order
        want.push_back(99);
        CHECK(contents(r) == want);
    }
}

TEST(Ring, ErasingTheLastElementEmptiesIt) {
    Ring<std::unique_ptr<int>> r;
    push(r, 1);
    r.erase(0);
    CHECK(r.empty());
    for (int x = 0; x < 100; ++x) push(r, x);  // grows past what it keeps when empty
    for (int x = 0; x < 100; ++x) r.erase(0);
    CHECK(r.empty());
    push(r, 7);
    CHECK_EQUAL(7, *r.front());
}
