#include "engine/session_store.hpp"

namespace mote::broker::detail {

Session* MemorySessionStore::find(const std::string& client_id) {
    auto it = sessions_.find(client_id);
    return it == sessions_.end() ? nullptr : it->second.get();
}

Session& MemorySessionStore::create(const std::string& client_id) {
    auto s = std::make_unique<Session>();
    s->client_id = client_id;
    Session& ref = *s;
    sessions_.emplace(std::string_view(ref.client_id), std::move(s));
    return ref;
}

void MemorySessionStore::erase(const std::string& client_id) {
    auto it = sessions_.find(client_id);
    if (it != sessions_.end()) sessions_.erase(it);  // the key's storage goes with the session
}

void MemorySessionStore::for_each(const std::function<void(Session&)>& fn) {
    for (auto& kv : sessions_) fn(*kv.second);
}

MessagePtr MemoryRetainedStore::find(const std::string& topic) const {
    auto it = messages_.find(topic);
    return it == messages_.end() ? nullptr : it->second;
}

void MemoryRetainedStore::for_each(const std::function<void(const MessagePtr&)>& fn) const {
    for (const auto& kv : messages_) fn(kv.second);
}

}  // namespace mote::broker::detail
