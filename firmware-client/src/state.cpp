// Pure transition functions of the client's state machines (see state.hpp).
#include "mote/client/state.hpp"

namespace mote::client {

ConnState conn_transition(ConnState s, ConnEvent e) {
    // Stop wins from every state: an application that asked to go away is obeyed.
    if (e == ConnEvent::Stop) return s == ConnState::Connected ? ConnState::Closing : ConnState::Idle;
    switch (s) {
        case ConnState::Idle:
            return e == ConnEvent::Start ? ConnState::Opening : s;
        case ConnState::Backoff:
            return e == ConnEvent::BackoffElapsed ? ConnState::Opening : s;
        case ConnState::Opening:
            if (e == ConnEvent::TransportUp) return ConnState::WaitConnack;
            if (e == ConnEvent::TransportFailed || e == ConnEvent::ProtocolFault) return ConnState::Backoff;
            return s;
        case ConnState::WaitConnack:
            if (e == ConnEvent::ConnackAccepted) return ConnState::Connected;
            if (e == ConnEvent::ConnackRefused || e == ConnEvent::TransportFailed || e == ConnEvent::ProtocolFault)
                return ConnState::Backoff;
            return s;
        case ConnState::Connected:
            if (e == ConnEvent::TransportFailed || e == ConnEvent::ProtocolFault) return ConnState::Backoff;
            return s;
        case ConnState::Closing:
            if (e == ConnEvent::Flushed || e == ConnEvent::TransportFailed || e == ConnEvent::ProtocolFault)
                return ConnState::Idle;
            return s;
    }
    return s;
}

OutStep out_transition(OutState s, std::uint8_t qos, OutEvent e) {
    switch (s) {
        case OutState::Queued:
            if (e == OutEvent::Sent) {
                if (qos == 0) return {OutState::Done, OutAction::Complete};
                return {qos == 1 ? OutState::WaitPuback : OutState::WaitPubrec, OutAction::None};
            }
            // Acks for a message not sent on this connection are unsolicited: ignored
            // by the caller before they get here; a stray one changes nothing.
            return {s, OutAction::None};
        case OutState::WaitPuback:
            switch (e) {
                case OutEvent::Puback: return {OutState::Done, OutAction::Complete};
                // [MQTT-4.4.0-1] unacknowledged PUBLISH is re-sent with DUP on resume.
                case OutEvent::SessionResumed: return {s, OutAction::SendPublish};
                // Broker lost the session: the message is sent again as a new one.
                case OutEvent::SessionLost: return {OutState::Queued, OutAction::None};
                case OutEvent::Pubrec:
                case OutEvent::PubrecError:
                case OutEvent::Pubcomp: return {s, OutAction::ProtocolError};
                case OutEvent::Sent: return {s, OutAction::None};
            }
            break;
        case OutState::WaitPubrec:
            switch (e) {
                // [MQTT-4.3.3-3] after PUBREC the sender sends PUBREL.
                case OutEvent::Pubrec: return {OutState::WaitPubcomp, OutAction::SendPubrel};
                // 5.0: a PUBREC with a failure code ends the flow; no PUBREL [MQTT-4.3.3-4].
                case OutEvent::PubrecError: return {OutState::Done, OutAction::Complete};
                case OutEvent::SessionResumed: return {s, OutAction::SendPublish};
                case OutEvent::SessionLost: return {OutState::Queued, OutAction::None};
                case OutEvent::Puback:
                case OutEvent::Pubcomp: return {s, OutAction::ProtocolError};
                case OutEvent::Sent: return {s, OutAction::None};
            }
            break;
        case OutState::WaitPubcomp:
            switch (e) {
                case OutEvent::Pubcomp: return {OutState::Done, OutAction::Complete};
                // A re-sent PUBREC (the broker did not see our PUBREL): answer again.
                case OutEvent::Pubrec: return {s, OutAction::SendPubrel};
                // [MQTT-4.4.0-1] on resume the PUBREL is re-sent.
                case OutEvent::SessionResumed: return {s, OutAction::SendPubrel};
                // The broker already owns the message (it sent PUBREC); without its
                // session there is nothing left to release.
                case OutEvent::SessionLost: return {OutState::Done, OutAction::Complete};
                case OutEvent::Puback:
                case OutEvent::PubrecError: return {s, OutAction::ProtocolError};
                case OutEvent::Sent: return {s, OutAction::None};
            }
            break;
        case OutState::Done:
            return {s, OutAction::None};
    }
    return {s, OutAction::None};
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
    switch (e) {
        case SubEvent::Subscribe: return s == SubState::Free ? SubState::PendingSub : s;
        case SubEvent::Unsubscribe:
            // Never sent: forget it locally. Otherwise the broker must hear it.
            if (s == SubState::PendingSub) return SubState::Free;
            if (s == SubState::WaitSuback || s == SubState::Active) return SubState::PendingUnsub;
            return s;
        case SubEvent::Sent:
            if (s == SubState::PendingSub) return SubState::WaitSuback;
            if (s == SubState::PendingUnsub) return SubState::WaitUnsuback;
            return s;
        case SubEvent::Granted: return s == SubState::WaitSuback ? SubState::Active : s;
        case SubEvent::Refused: return s == SubState::WaitSuback ? SubState::Free : s;
        case SubEvent::Unsuback: return s == SubState::WaitUnsuback ? SubState::Free : s;
        case SubEvent::SessionResumed:
            // The broker kept the session; requests without an answer are sent again.
            if (s == SubState::WaitSuback) return SubState::PendingSub;
            if (s == SubState::WaitUnsuback) return SubState::PendingUnsub;
            return s;
        case SubEvent::SessionLost:
            // The broker forgot every subscription: subscribe again, and nothing is
            // left to unsubscribe.
            if (s == SubState::Active || s == SubState::WaitSuback) return SubState::PendingSub;
            if (s == SubState::WaitUnsuback || s == SubState::PendingUnsub) return SubState::Free;
            return s;
    }
    return s;
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
    // Uniform in [0, span) without a division: Cortex-M0 has no divide instruction
    // and libgcc's routine costs more flash than this function. Draw below the next
    // power of two and retry draws of span or more (fewer than half of them).
    std::uint32_t mask = span - 1;
    for (unsigned shift = 1; shift < 32; shift *= 2) mask |= mask >> shift;
    std::uint32_t r = 0;
    do {
        r = rng.next() & mask;
    } while (r >= span);
    return half + r;
}

}  // namespace mote::client
