// Pure transition functions of the client's state machines (see state.hpp).
#include "mote/client/state.hpp"

#include <cstddef>

namespace mote::client {

// The transitions are tables rather than switches: on Cortex-M0 a row of bytes
// costs a fraction of the compare-and-branch code, and each row reads like the
// test that checks it (tests/unit/client/state_test.cpp).

namespace {

constexpr ConnState I = ConnState::Idle, B = ConnState::Backoff, O = ConnState::Opening,
                    W = ConnState::WaitConnack, C = ConnState::Connected, X = ConnState::Closing;

// Next connection state by [state][event]; columns in ConnEvent order: Start,
// BackoffElapsed, TransportUp, TransportFailed, ConnackAccepted, ConnackRefused,
// ProtocolFault, Stop, Flushed. Stop wins from every state (an application that asked
// to go away is obeyed); a failure or fault of a started link leads to Backoff.
constexpr ConnState kConnNext[6][9] = {
    {O, I, I, I, I, I, I, I, I},  // Idle
    {B, O, B, B, B, B, B, I, B},  // Backoff
    {O, O, W, B, O, O, B, I, O},  // Opening
    {W, W, W, B, C, B, B, I, W},  // WaitConnack
    {C, C, C, B, C, C, B, X, C},  // Connected
    {X, X, X, I, X, X, I, I, I},  // Closing: until the DISCONNECT is out or the link goes
};

constexpr OutState kQueued = OutState::Queued, kPuback = OutState::WaitPuback, kPubrec = OutState::WaitPubrec,
                   kPubcomp = OutState::WaitPubcomp, kDone = OutState::Done;
constexpr OutAction kNone = OutAction::None, kPublish = OutAction::SendPublish, kPubrel = OutAction::SendPubrel,
                    kComplete = OutAction::Complete, kError = OutAction::ProtocolError;

// The flows waiting for an ack, by [state - WaitPuback][event]; columns in OutEvent
// order: Sent, Puback, Pubrec, PubrecError, Pubcomp, SessionResumed, SessionLost.
// An ack of the other QoS flow is a Protocol Error. [MQTT-4.4.0-1] on resume the
// unacknowledged PUBLISH goes again with DUP, or the PUBREL; when the broker lost the
// session a PUBLISH is sent again as a new message, while a message the broker
// already acknowledged with PUBREC has nothing left to release.
constexpr OutStep kOutWaiting[3][7] = {
    {{kPuback, kNone}, {kDone, kComplete}, {kPuback, kError}, {kPuback, kError}, {kPuback, kError},
     {kPuback, kPublish}, {kQueued, kNone}},
    // [MQTT-4.3.3-3] after PUBREC the sender sends PUBREL; 5.0: a PUBREC with a
    // failure code ends the flow, no PUBREL [MQTT-4.3.3-4].
    {{kPubrec, kNone}, {kPubrec, kError}, {kPubcomp, kPubrel}, {kDone, kComplete}, {kPubrec, kError},
     {kPubrec, kPublish}, {kQueued, kNone}},
    // A re-sent PUBREC (the broker did not see our PUBREL) is answered again.
    {{kPubcomp, kNone}, {kPubcomp, kError}, {kPubcomp, kPubrel}, {kPubcomp, kError}, {kDone, kComplete},
     {kPubcomp, kPubrel}, {kDone, kComplete}},
};

constexpr SubState F = SubState::Free, PS = SubState::PendingSub, WS = SubState::WaitSuback, A = SubState::Active,
                   PU = SubState::PendingUnsub, WU = SubState::WaitUnsuback;

// Next subscription state by [state][event]; columns in SubEvent order: Subscribe,
// Unsubscribe, Sent, Granted, Refused, Unsuback, SessionResumed, SessionLost. An
// UNSUBSCRIBE of a filter never sent is forgotten locally; a resumed session re-sends
// the requests without an answer; a lost one subscribes everything again and leaves
// nothing to unsubscribe.
constexpr SubState kSubNext[6][8] = {
    {PS, F, F, F, F, F, F, F},          // Free
    {PS, F, WS, PS, PS, PS, PS, PS},    // PendingSub
    {WS, PU, WS, A, F, WS, PS, PS},     // WaitSuback
    {A, PU, A, A, A, A, A, PS},         // Active
    {PU, PU, WU, PU, PU, PU, PU, F},    // PendingUnsub
    {WU, WU, WU, WU, WU, F, PU, F},     // WaitUnsuback
};

// The two state tables as the image stores them: one nibble per cell.
template <std::size_t N>
struct Nibbles {
    std::uint8_t b[(N + 1) / 2];
    constexpr unsigned at(unsigned i) const { return (b[i / 2] >> (i % 2 * 4)) & 0x0Fu; }
};

template <std::size_t R, std::size_t C, class S>
constexpr Nibbles<R * C> pack(const S (&t)[R][C]) {
    Nibbles<R * C> n{};
    for (std::size_t i = 0; i < R * C; ++i)
        n.b[i / 2] = static_cast<std::uint8_t>(n.b[i / 2] | (static_cast<unsigned>(t[i / C][i % C]) << (i % 2 * 4)));
    return n;
}

constexpr auto kConnPacked = pack(kConnNext);
constexpr auto kSubPacked = pack(kSubNext);

// kOutWaiting with each step in one byte: the state in the low nibble, the action
// in the high one.
struct PackedSteps {
    std::uint8_t b[3][7];
};

constexpr PackedSteps pack_steps(const OutStep (&t)[3][7]) {
    PackedSteps p{};
    for (std::size_t r = 0; r < 3; ++r) {
        for (std::size_t c = 0; c < 7; ++c)
            p.b[r][c] = static_cast<std::uint8_t>(static_cast<unsigned>(t[r][c].next) |
                                                  (static_cast<unsigned>(t[r][c].action) << 4));
    }
    return p;
}

constexpr PackedSteps kOutPacked = pack_steps(kOutWaiting);

}  // namespace

ConnState conn_transition(ConnState s, ConnEvent e) {
    const auto si = static_cast<unsigned>(s);
    const auto ei = static_cast<unsigned>(e);
    return si < 6 && ei < 9 ? static_cast<ConnState>(kConnPacked.at(si * 9 + ei)) : s;
}

OutStep out_transition(OutState s, std::uint8_t qos, OutEvent e) {
    if (s == OutState::Queued) {
        // Acks for a message not sent on this connection are unsolicited: ignored
        // by the caller before they get here; a stray one changes nothing.
        if (e != OutEvent::Sent) return {s, kNone};
        if (qos == 0) return {kDone, kComplete};
        return {qos == 1 ? kPuback : kPubrec, kNone};
    }
    const unsigned row = static_cast<unsigned>(s) - static_cast<unsigned>(OutState::WaitPuback);
    const auto ei = static_cast<unsigned>(e);
    if (row >= 3 || ei >= 7) return {s, kNone};
    const unsigned v = kOutPacked.b[row][ei];
    return {static_cast<OutState>(v & 0x0Fu), static_cast<OutAction>(v >> 4)};
}

InStep in_transition(InState s, InEvent e) {
    if (e == InEvent::Publish) {
        if (s == InState::Free) return {InState::WaitPubrel, InAction::DeliverAndPubrec};
        return {InState::WaitPubrel, InAction::Pubrec};
    }
    if (s == InState::WaitPubrel) return {InState::Free, InAction::Pubcomp};
    return {InState::Free, InAction::PubcompNotFound};
}

SubState sub_transition(SubState s, SubEvent e) {
    const auto si = static_cast<unsigned>(s);
    const auto ei = static_cast<unsigned>(e);
    return si < 6 && ei < 8 ? static_cast<SubState>(kSubPacked.at(si * 8 + ei)) : s;
}

std::uint32_t Prng::next() {
    std::uint32_t x = state_;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    state_ = x;
    return x;
}

std::uint32_t backoff_delay_ms(std::uint32_t attempt, std::uint32_t min_ms, std::uint32_t max_ms, Prng& rng) {
    if (min_ms == 0) min_ms = 1;
    if (max_ms < min_ms) max_ms = min_ms;
    std::uint32_t d = min_ms;
    for (std::uint32_t i = 0; i < attempt && d < max_ms; ++i) d = d > max_ms / 2 ? max_ms : d * 2;
    if (d > max_ms) d = max_ms;
    const std::uint32_t half = d / 2;
    const std::uint32_t span = d - half + 1;
    // A draw in [0, span): the top 16 bits of a random word scaled by span with
    // 32-bit multiplies only (Cortex-M0 has no divide instruction, and libgcc's
    // division costs more flash than this function). span <= 2^31 + 1, so neither
    // product overflows, and the result stays below span.
    const std::uint32_t r16 = rng.next() >> 16;
    const std::uint32_t r = (span >> 16) * r16 + (((span & 0xFFFFu) * r16) >> 16);
    return half + r;
}

}  // namespace mote::client
