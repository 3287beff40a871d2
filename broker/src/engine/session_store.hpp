// Where sessions and retained messages live. The engine reaches them only through
// these two small interfaces so that a durable store (SQLite, later) can implement
// them; today only the in-memory implementations exist. A durable implementation
// also gets the *_changed() hooks to write through.
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/session.hpp"
#include "mote/broker/message.hpp"

namespace mote::broker::detail {

class SessionStore {
public:
    virtual ~SessionStore() = default;
    // The session of `client_id`, or null. The pointer stays valid until erase().
    virtual Session* find(const std::string& client_id) = 0;
    // Creates an empty session; `client_id` must not exist yet.
    virtual Session& create(const std::string& client_id) = 0;
    virtual void erase(const std::string& client_id) = 0;
    virtual std::size_t size() const = 0;
    virtual void for_each(const std::function<void(Session&)>& fn) = 0;
    // Persistence hook: a session's durable state (subscriptions, in-flight and
    // queued messages, expiry) changed.
    virtual void session_changed(const Session&) {}
};

class RetainedStore {
public:
    virtual ~RetainedStore() = default;
    virtual void set(const std::string& topic, MessagePtr msg) = 0;
    virtual void clear(const std::string& topic) = 0;
    // The retained message of exactly `topic`, or null.
    virtual MessagePtr find(const std::string& topic) const = 0;
    virtual std::size_t size() const = 0;
    // Visits every retained message (in topic order for the in-memory store).
    virtual void for_each(const std::function<void(const MessagePtr&)>& fn) const = 0;
};

// A durable store (broker/src/store/): the session and retained stores the engine
// uses instead of its in-memory ones, already filled with what was restored at
// start-up. The engine never calls SQLite; it only tells the stores what changed
// (SessionStore::session_changed, RetainedStore::set/clear) and, in strict mode,
// holds its PUBACK/PUBREC/PUBCOMP until the net layer reports the loop turn's
// commit with Engine::on_commit().
class Persistence {
public:
    virtual ~Persistence() = default;
    virtual SessionStore& sessions() = 0;
    virtual RetainedStore& retained() = 0;
    // Strict durability: acknowledgements wait for the commit.
    virtual bool hold_acks() const = 0;
    // Restored sessions that had a live connection when the broker stopped: the
    // engine treats them as closed abnormally at start-up (their Will goes out
    // after its delay). Cleared by the engine once read.
    virtual std::vector<std::string> take_were_online() = 0;
    // Called by the engine's destructor: drops every Message from memory (they may
    // come from the engine's MessagePool), leaving the database as it is.
    virtual void release_memory() = 0;
};

class MemorySessionStore final : public SessionStore {
public:
    Session* find(const std::string& client_id) override;
    Session& create(const std::string& client_id) override;
    void erase(const std::string& client_id) override;
    std::size_t size() const override { return sessions_.size(); }
    void for_each(const std::function<void(Session&)>& fn) override;

private:
    // The key views the session's own client_id (a Session never moves: it is
    // owned by the unique_ptr), so each id is stored once.
    std::unordered_map<std::string_view, std::unique_ptr<Session>> sessions_;
};

class MemoryRetainedStore final : public RetainedStore {
public:
    void set(const std::string& topic, MessagePtr msg) override { messages_[topic] = std::move(msg); }
    void clear(const std::string& topic) override { messages_.erase(topic); }
    MessagePtr find(const std::string& topic) const override;
    std::size_t size() const override { return messages_.size(); }
    void for_each(const std::function<void(const MessagePtr&)>& fn) const override;

private:
    std::map<std::string, MessagePtr> messages_;
};

}  // namespace mote::broker::detail
