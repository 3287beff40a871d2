#include "engine/qos_flow.hpp"

namespace mote::broker::detail {

using mqtt::PacketType;

OutTransition out_transition(OutState state, PacketType ack, mqtt::Reason reason) {
    const OutTransition error{OutAction::ProtocolError, state};
    switch (state) {
    case OutState::AwaitPuback:
        // QoS 1 ends with PUBACK, whatever its reason code [MQTT-4.3.2-4].
        return ack == PacketType::Puback ? OutTransition{OutAction::Complete, state} : error;
    case OutState::AwaitPubrec:
        if (ack != PacketType::Pubrec) return error;
        // A PUBREC with a failure reason ends the flow (5.0 §4.3.3): no PUBREL.
        if (mqtt::is_error(reason)) return {OutAction::Complete, state};
        return {OutAction::SendPubrel, OutState::AwaitPubcomp};
    case OutState::AwaitPubcomp:
        if (ack == PacketType::Pubcomp) return {OutAction::Complete, state};
        // A repeated PUBREC is answered with the PUBREL again.
        if (ack == PacketType::Pubrec) return {OutAction::SendPubrel, OutState::AwaitPubcomp};
        return error;
    }
    return error;
}

}  // namespace mote::broker::detail
