#include "mote/broker/message.hpp"

#include <cstring>

#include "mote/broker/message_pool.hpp"

namespace mote::broker {

MessagePtr Message::make(const MessageFields& f, MessagePool* pool) {
    auto m = std::allocate_shared<Message>(PoolAllocator<Message>(pool));
    const std::size_t total = f.topic.size() + f.payload_size + f.properties_size + f.origin_client_id.size();
    std::uint8_t* at = m->inline_;
    if (total > kInline) {
        m->heap_.reset(new std::uint8_t[total]);
        at = m->heap_.get();
    }
    auto put = [&at](const void* src, std::size_t n) {
        const std::uint8_t* start = at;
        if (n != 0) std::memcpy(at, src, n);
        at += n;
        return start;
    };
    m->topic = std::string_view(reinterpret_cast<const char*>(put(f.topic.data(), f.topic.size())), f.topic.size());
    m->payload = MessageBytes{put(f.payload, f.payload_size), f.payload_size};
    m->properties = MessageBytes{put(f.properties, f.properties_size), f.properties_size};
    m->origin_client_id = std::string_view(
        reinterpret_cast<const char*>(put(f.origin_client_id.data(), f.origin_client_id.size())),
        f.origin_client_id.size());
    m->qos = f.qos;
    m->retain = f.retain;
    m->received_at = f.received_at;
    m->expires_at = f.expires_at;
    return m;
}

MessagePtr Message::retimed(const Message& m, Millis received_at, Millis expires_at, MessagePool* pool) {
    MessageFields f;
    f.topic = m.topic;
    f.payload = m.payload.data();
    f.payload_size = m.payload.size();
    f.properties = m.properties.data();
    f.properties_size = m.properties.size();
    f.origin_client_id = m.origin_client_id;
    f.qos = m.qos;
    f.retain = m.retain;
    f.received_at = received_at;
    f.expires_at = expires_at;
    return make(f, pool);
}

}  // namespace mote::broker
