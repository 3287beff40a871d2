// The client's state machines as tables (STYLE #5), and the backoff/jitter.
#include <set>

#include <CppUTest/TestHarness.h>

#include "mote/client/state.hpp"

using namespace mote::client;

TEST_GROUP(ClientOutState){};

namespace {
struct OutRow {
    OutState s;
    std::uint8_t qos;
    OutEvent e;
    OutState next;
    OutAction action;
};
// Every (state, event) pair for QoS 1 and 2 flows (§4.3.2, §4.3.3, §4.4).
const OutRow kOutTable[] = {
    {OutState::Queued, 0, OutEvent::Sent, OutState::Done, OutAction::Complete},
    {OutState::Queued, 1, OutEvent::Sent, OutState::WaitPuback, OutAction::None},
    {OutState::Queued, 2, OutEvent::Sent, OutState::WaitPubrec, OutAction::None},
    {OutState::Queued, 1, OutEvent::Puback, OutState::Queued, OutAction::None},
    {OutState::Queued, 2, OutEvent::SessionResumed, OutState::Queued, OutAction::None},
    {OutState::WaitPuback, 1, OutEvent::Puback, OutState::Done, OutAction::Complete},
    // [MQTT-4.4.0-1] resend unacknowledged PUBLISH on resume.
    {OutState::WaitPuback, 1, OutEvent::SessionResumed, OutState::WaitPuback, OutAction::SendPublish},
    {OutState::WaitPuback, 1, OutEvent::SessionLost, OutState::Queued, OutAction::None},
    {OutState::WaitPuback, 1, OutEvent::Pubrec, OutState::WaitPuback, OutAction::ProtocolError},
    {OutState::WaitPuback, 1, OutEvent::Pubcomp, OutState::WaitPuback, OutAction::ProtocolError},
    {OutState::WaitPuback, 1, OutEvent::PubrecError, OutState::WaitPuback, OutAction::ProtocolError},
    // [MQTT-4.3.3-3] PUBREC -> PUBREL.
    {OutState::WaitPubrec, 2, OutEvent::Pubrec, OutState::WaitPubcomp, OutAction::SendPubrel},
    // [MQTT-4.3.3-4] 5.0: PUBREC >= 0x80 ends the flow.
    {OutState::WaitPubrec, 2, OutEvent::PubrecError, OutState::Done, OutAction::Complete},
    {OutState::WaitPubrec, 2, OutEvent::SessionResumed, OutState::WaitPubrec, OutAction::SendPublish},
    {OutState::WaitPubrec, 2, OutEvent::SessionLost, OutState::Queued, OutAction::None},
    {OutState::WaitPubrec, 2, OutEvent::Puback, OutState::WaitPubrec, OutAction::ProtocolError},
    {OutState::WaitPubrec, 2, OutEvent::Pubcomp, OutState::WaitPubrec, OutAction::ProtocolError},
    {OutState::WaitPubcomp, 2, OutEvent::Pubcomp, OutState::Done, OutAction::Complete},
    {OutState::WaitPubcomp, 2, OutEvent::Pubrec, OutState::WaitPubcomp, OutAction::SendPubrel},
    {OutState::WaitPubcomp, 2, OutEvent::SessionResumed, OutState::WaitPubcomp, OutAction::SendPubrel},
    {OutState::WaitPubcomp, 2, OutEvent::SessionLost, OutState::Done, OutAction::Complete},
    {OutState::WaitPubcomp, 2, OutEvent::Puback, OutState::WaitPubcomp, OutAction::ProtocolError},
    {OutState::WaitPubcomp, 2, OutEvent::PubrecError, OutState::WaitPubcomp, OutAction::ProtocolError},
    {OutState::Done, 1, OutEvent::Puback, OutState::Done, OutAction::None},
};
}  // namespace

TEST(ClientOutState, Table) {
    int row = 0;
    for (const OutRow& r : kOutTable) {
        const OutStep st = out_transition(r.s, r.qos, r.e);
        CHECK_TEXT(st.next == r.next && st.action == r.action, StringFromFormat("row %d", row).asCharString());
        ++row;
    }
}

TEST_GROUP(ClientInState){};

TEST(ClientInState, Table) {
    // [MQTT-4.3.3-10] a PUBLISH seen again before PUBREL is not delivered again.
    InStep s = in_transition(InState::Free, InEvent::Publish);
    CHECK(s.next == InState::WaitPubrel && s.action == InAction::DeliverAndPubrec);
    s = in_transition(InState::WaitPubrel, InEvent::Publish);
    CHECK(s.next == InState::WaitPubrel && s.action == InAction::Pubrec);
    s = in_transition(InState::WaitPubrel, InEvent::Pubrel);
    CHECK(s.next == InState::Free && s.action == InAction::Pubcomp);
    s = in_transition(InState::Free, InEvent::Pubrel);
    CHECK(s.next == InState::Free && s.action == InAction::PubcompNotFound);
}

TEST_GROUP(ClientConnState){};

TEST(ClientConnState, Table) {
    struct Row {
        ConnState s;
        ConnEvent e;
        ConnState next;
    };
    const Row rows[] = {
        {ConnState::Idle, ConnEvent::Start, ConnState::Opening},
        {ConnState::Idle, ConnEvent::TransportUp, ConnState::Idle},
        {ConnState::Backoff, ConnEvent::BackoffElapsed, ConnState::Opening},
        {ConnState::Backoff, ConnEvent::Stop, ConnState::Idle},
        {ConnState::Opening, ConnEvent::TransportUp, ConnState::WaitConnack},
        {ConnState::Opening, ConnEvent::TransportFailed, ConnState::Backoff},
        {ConnState::Opening, ConnEvent::ProtocolFault, ConnState::Backoff},
        {ConnState::WaitConnack, ConnEvent::ConnackAccepted, ConnState::Connected},
        {ConnState::WaitConnack, ConnEvent::ConnackRefused, ConnState::Backoff},
        {ConnState::WaitConnack, ConnEvent::ProtocolFault, ConnState::Backoff},
        {ConnState::WaitConnack, ConnEvent::Stop, ConnState::Idle},
        {ConnState::Connected, ConnEvent::TransportFailed, ConnState::Backoff},
        {ConnState::Connected, ConnEvent::ProtocolFault, ConnState::Backoff},
        {ConnState::Connected, ConnEvent::Stop, ConnState::Closing},
        {ConnState::Connected, ConnEvent::ConnackAccepted, ConnState::Connected},
        {ConnState::Closing, ConnEvent::Flushed, ConnState::Idle},
        {ConnState::Closing, ConnEvent::TransportFailed, ConnState::Idle},
        {ConnState::Closing, ConnEvent::BackoffElapsed, ConnState::Closing},
    };
    for (const Row& r : rows) {
        LONGS_EQUAL(static_cast<int>(r.next), static_cast<int>(conn_transition(r.s, r.e)));
    }
}

TEST_GROUP(ClientBackoff){};

TEST(ClientBackoff, GrowsExponentiallyWithinJitterBoundsAndCaps) {
    Prng rng(42);
    for (std::uint32_t attempt = 0; attempt < 40; ++attempt) {
        std::uint32_t d = 100;
        for (std::uint32_t i = 0; i < attempt && d < 5000; ++i) d *= 2;
        if (d > 5000) d = 5000;
        for (int k = 0; k < 50; ++k) {
            const std::uint32_t got = backoff_delay_ms(attempt, 100, 5000, rng);
            CHECK(got >= d / 2);
            CHECK(got <= d);
        }
    }
}

TEST(ClientBackoff, JitterSpreadsAndDependsOnSeed) {
    Prng a(1), b(2), a2(1);
    std::set<std::uint32_t> seen;
    bool differs = false;
    for (int i = 0; i < 100; ++i) {
        const std::uint32_t x = backoff_delay_ms(5, 100, 100000, a);
        const std::uint32_t y = backoff_delay_ms(5, 100, 100000, b);
        LONGS_EQUAL(x, backoff_delay_ms(5, 100, 100000, a2));  // same seed, same sequence
        differs = differs || x != y;
        seen.insert(x);
    }
    CHECK(differs);
    CHECK(seen.size() > 50);  // 1601 possible values in [1600, 3200]
}

TEST(ClientBackoff, ZeroSeedStillProducesNumbers) {
    Prng z(0);
    CHECK(z.next() != 0);
    CHECK(z.next() != z.next());
}

TEST_GROUP(ClientSubState){};

TEST(ClientSubState, Table) {
    struct Row {
        SubState s;
        SubEvent e;
        SubState next;
    };
    const Row rows[] = {
        {SubState::Free, SubEvent::Subscribe, SubState::PendingSub},
        {SubState::Active, SubEvent::Subscribe, SubState::Active},
        {SubState::PendingSub, SubEvent::Sent, SubState::WaitSuback},
        {SubState::WaitSuback, SubEvent::Granted, SubState::Active},
        {SubState::WaitSuback, SubEvent::Refused, SubState::Free},
        {SubState::Active, SubEvent::Granted, SubState::Active},
        {SubState::PendingSub, SubEvent::Unsubscribe, SubState::Free},
        {SubState::WaitSuback, SubEvent::Unsubscribe, SubState::PendingUnsub},
        {SubState::Active, SubEvent::Unsubscribe, SubState::PendingUnsub},
        {SubState::Free, SubEvent::Unsubscribe, SubState::Free},
        {SubState::PendingUnsub, SubEvent::Sent, SubState::WaitUnsuback},
        {SubState::WaitUnsuback, SubEvent::Unsuback, SubState::Free},
        {SubState::Active, SubEvent::Unsuback, SubState::Active},
        {SubState::WaitSuback, SubEvent::SessionResumed, SubState::PendingSub},
        {SubState::WaitUnsuback, SubEvent::SessionResumed, SubState::PendingUnsub},
        {SubState::Active, SubEvent::SessionResumed, SubState::Active},
        {SubState::Active, SubEvent::SessionLost, SubState::PendingSub},
        {SubState::WaitSuback, SubEvent::SessionLost, SubState::PendingSub},
        {SubState::WaitUnsuback, SubEvent::SessionLost, SubState::Free},
        {SubState::PendingUnsub, SubEvent::SessionLost, SubState::Free},
        {SubState::Free, SubEvent::SessionLost, SubState::Free},
    };
    for (const Row& r : rows) {
        LONGS_EQUAL(static_cast<int>(r.next), static_cast<int>(sub_transition(r.s, r.e)));
    }
}

TEST(ClientBackoff, JitterCoversTheWholeRangeEvenly) {
    // Each quarter of [d/2, d] gets its share of 8000 draws, and a huge maximum
    // (no overflow in the scaling) stays within its bounds.
    Prng rng(7);
    int quarter[4] = {};
    for (int i = 0; i < 8000; ++i) {
        const std::uint32_t x = backoff_delay_ms(4, 100, 100000, rng);  // d = 1600
        CHECK(x >= 800 && x <= 1600);
        ++quarter[x >= 1600 ? 3 : (x - 800) / 200];
    }
    for (int q : quarter) CHECK(q > 1600 && q < 2400);
    for (std::uint32_t attempt = 0; attempt < 40; ++attempt) {
        const std::uint32_t x = backoff_delay_ms(attempt, 1u << 30, 0xFFFFFFFFu, rng);
        CHECK(x >= (1u << 29));
    }
    const std::uint32_t top = backoff_delay_ms(40, 0xFFFFFFFFu, 0xFFFFFFFFu, rng);
    CHECK(top >= 0x7FFFFFFFu);
}
