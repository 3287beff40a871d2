// The outgoing QoS 1/2 flow of one message as a state machine (STYLE #5): the state
// the broker waits in, and one pure transition function for the acknowledgement the
// client sends.
#pragma once

#include <cstdint>

#include "mote/common/protocol.hpp"

namespace mote::broker::detail {

enum class OutState : std::uint8_t {
    AwaitPuback,   // QoS 1 PUBLISH sent
    AwaitPubrec,   // QoS 2 PUBLISH sent
    AwaitPubcomp,  // PUBREC received, PUBREL sent
};

enum class OutAction : std::uint8_t {
    Complete,      // the flow is over: free the packet id
    SendPubrel,    // move to (or stay in) AwaitPubcomp and send PUBREL
    ProtocolError, // an acknowledgement of the wrong type for this flow
};

struct OutTransition {
    OutAction action;
    OutState next;
};

// `ack` is Puback, Pubrec or Pubcomp; `reason` its reason code (5.0; Success for 3.1.1).
OutTransition out_transition(OutState state, mqtt::PacketType ack, mqtt::Reason reason);

}  // namespace mote::broker::detail
