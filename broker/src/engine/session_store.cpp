#include "engine/session_store.hpp"

#include <cstdlib>

namespace mote::broker::detail {

Session* MemorySessionStore::find(const std::string& client_id) {
    auto it = sessions_.find(client_id);
    return it == sessions_.end() ? nullptr : it->second.get();
}

Session& MemorySessionStore::create(const std::string& client_id) {
    auto s = std::make_unique<Session>();
    s->client_id = client_id;
    // The key views the session's own client_id, so an existing entry must not be
    // kept in place of the new session (emplace would keep it and free `s`): the
    // caller has checked find() first; a second create() is a broken invariant.
    auto [it, inserted] = sessions_.try_emplace(std::string_view(s->client_id), std::move(s));
    if (!inserted) std::abort();
    return *it->second;
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
