// The client's state machines as enums and pure transition functions (STYLE #5), plus
// the reconnect backoff and its pseudo-random jitter. Nothing here touches I/O, time
// sources or memory outside its arguments, so each function is tested as a table
// (tests/unit/client/state_test.cpp).
#pragma once

#include <cstdint>

namespace mote::client {

// ---------------------------------------------------------------------------------
// Connection.
// ---------------------------------------------------------------------------------
enum class ConnState : std::uint8_t {
    Idle,         // not started, or stopped after disconnect(): no reconnect
    Backoff,      // waiting before the next attempt
    Opening,      // transport connect in progress
    WaitConnack,  // CONNECT written, waiting for CONNACK
    Connected,    // CONNACK accepted
    Closing,      // application asked to disconnect: DISCONNECT being flushed
};

enum class ConnEvent : std::uint8_t {
    Start,           // application called start()
    BackoffElapsed,  // the backoff timer ran out
    TransportUp,     // transport connect completed
    TransportFailed, // transport connect failed, or the link closed/errored
    ConnackAccepted,
    ConnackRefused,  // refusal code, or a CONNACK that breaks a rule
    ProtocolFault,   // malformed/hostile input, keepalive or connect timeout
    Stop,            // application called disconnect()
    Flushed,         // the DISCONNECT of a Closing connection was written
};

// Returns the next state. An event that does not apply in a state leaves it
// unchanged (for example TransportUp while Idle).
ConnState conn_transition(ConnState s, ConnEvent e);

// ---------------------------------------------------------------------------------
// Outgoing PUBLISH (client -> broker), §4.3.
// ---------------------------------------------------------------------------------
enum class OutState : std::uint8_t {
    Queued,       // stored, not yet (re)sent on this connection
    WaitPuback,   // QoS 1 PUBLISH sent
    WaitPubrec,   // QoS 2 PUBLISH sent
    WaitPubcomp,  // QoS 2 PUBREL sent
    Done,         // acknowledged (or QoS 0 written): remove the entry
};

enum class OutEvent : std::uint8_t {
    Sent,          // the PUBLISH was encoded into the send buffer
    Puback,
    Pubrec,
    PubrecError,   // 5.0 PUBREC with a reason code >= 0x80: the flow ends [MQTT-4.3.3-4]
    Pubcomp,
    SessionResumed,  // reconnected with Session Present = 1
    SessionLost,     // reconnected with Session Present = 0
};

enum class OutAction : std::uint8_t {
    None,
    SendPublish,     // (re)send the PUBLISH, DUP = 1 if it was sent before
    SendPubrel,      // (re)send PUBREL
    Complete,        // report delivery and remove the entry
    ProtocolError,   // an ack of the wrong type for this flow: close with 0x82
};

struct OutStep {
    OutState next;
    OutAction action;
};

// `qos` is the PUBLISH QoS (0, 1 or 2).
OutStep out_transition(OutState s, std::uint8_t qos, OutEvent e);

// ---------------------------------------------------------------------------------
// Incoming QoS 2 PUBLISH (broker -> client), method B of §4.3.3: the packet id is
// remembered from PUBLISH until PUBREL so that a re-sent PUBLISH is not delivered
// twice [MQTT-4.3.3-10].
// ---------------------------------------------------------------------------------
enum class InState : std::uint8_t { Free, WaitPubrel };
enum class InEvent : std::uint8_t { Publish, Pubrel };
enum class InAction : std::uint8_t {
    DeliverAndPubrec,  // new message: hand it to the application, send PUBREC
    Pubrec,            // duplicate: send PUBREC again, do not deliver
    Pubcomp,           // release: forget the id, send PUBCOMP
    PubcompNotFound,   // PUBREL for an unknown id: PUBCOMP 0x92 (5.0)
};
struct InStep {
    InState next;
    InAction action;
};
InStep in_transition(InState s, InEvent e);

// ---------------------------------------------------------------------------------
// One subscription-table entry (one filter per SUBSCRIBE/UNSUBSCRIBE packet).
// ---------------------------------------------------------------------------------
enum class SubState : std::uint8_t {
    Free,
    PendingSub,    // SUBSCRIBE to be written
    WaitSuback,
    Active,
    PendingUnsub,  // UNSUBSCRIBE to be written
    WaitUnsuback,
};
enum class SubEvent : std::uint8_t {
    Subscribe,       // application call
    Unsubscribe,     // application call
    Sent,            // SUBSCRIBE/UNSUBSCRIBE written
    Granted,         // SUBACK with a QoS
    Refused,         // SUBACK with a failure code
    Unsuback,
    SessionResumed,  // reconnected with Session Present = 1: requests in flight are re-sent
    SessionLost,     // reconnected with Session Present = 0: everything is subscribed again
};
SubState sub_transition(SubState s, SubEvent e);

// ---------------------------------------------------------------------------------
// Reconnect backoff: exponential with "equal jitter". Attempt n (0-based) waits a
// uniformly chosen time in [d/2, d] where d = min(max_ms, min_ms * 2^n). Jitter keeps
// a fleet of sensors that lost the same gateway from reconnecting in lockstep.
// ---------------------------------------------------------------------------------

// xorshift32: a tiny PRNG the caller seeds (for example from a unique id or an ADC
// noise sample). Not cryptographic; used only for jitter. Seed 0 is replaced by a
// fixed non-zero constant because xorshift never leaves 0.
class Prng {
public:
    explicit Prng(std::uint32_t seed = 0) { seed_with(seed); }
    void seed_with(std::uint32_t seed) { state_ = seed != 0 ? seed : 0x9E3779B9u; }
    std::uint32_t next();

private:
    std::uint32_t state_;
};

std::uint32_t backoff_delay_ms(std::uint32_t attempt, std::uint32_t min_ms, std::uint32_t max_ms, Prng& rng);

}  // namespace mote::client
