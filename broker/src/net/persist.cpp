// The net layer's side of persistence: opening the durable store at start-up and
// running its commits. Strict durability: on_check() commits once per loop turn,
// before flushing that turn's output, so every PUBACK/PUBREC/PUBCOMP (held by the
// engine until on_commit) and every outgoing PUBLISH/PUBREL of the turn leaves
// only after the state it reflects is on disk: one fsync for everything that
// arrived in the turn (group commit). Relaxed: commit_timer_ commits every
// persistence_interval_ms and nothing waits.
#include <stdexcept>

#include "net/server.hpp"
#include "store/sqlite_store.hpp"

namespace mote::broker::net {

void Server::open_store() {
    if (!cfg_.persistence) {
        engine_ = std::make_unique<Engine>(cfg_, log_, *this, now());
        return;
    }
    auto opened = std::make_unique<store::SqliteStore>();
    std::string error;
    const Millis t0 = now();
    if (!opened->open(store::SqliteStore::path_for(cfg_), cfg_, t0, error)) {
        throw std::runtime_error(error);  // start-up only (STYLE #8); main prints it and exits 1
    }
    uv_timer_init(&loop_, &commit_timer_);  // with store_ set, close_server_handles() closes it
    commit_timer_.data = this;
    store_ = std::move(opened);
    engine_ = std::make_unique<Engine>(cfg_, log_, *this, now(), store_.get());
    log_.log(LogLevel::Notice, "persistence: %s (WAL, %s durability) loaded in %llu ms", store_->path().c_str(),
             cfg_.persistence_durability == Durability::Strict ? "strict" : "relaxed",
             static_cast<unsigned long long>(now() - t0));
    // What the restore changed (sessions detached at start-up) is written at once.
    commit_store(true);
    if (cfg_.persistence_durability == Durability::Relaxed) {
        uv_timer_start(&commit_timer_, [](uv_timer_t* h) { static_cast<Server*>(h->data)->commit_store(true); },
                       cfg_.persistence_interval_ms, cfg_.persistence_interval_ms);
        uv_unref(reinterpret_cast<uv_handle_t*>(&commit_timer_));
    }
}

void Server::commit_store(bool force) {
    if (!store_ || !engine_) {
        return;
    }
    const bool strict = cfg_.persistence_durability == Durability::Strict;
    if (!force && !strict) {
        return;
    }
    if (!store_->dirty() && !engine_->acks_held()) {
        return;
    }
    const store::CommitResult r = store_->commit(now());
    if (!r.ok) {
        ++store_failures_;
        const Millis t = now();
        if (store_error_logged_ == 0 || t >= store_error_logged_ + 10000) {
            // One line per 10 s while the disk stays full: the broker keeps serving.
            store_error_logged_ = t;
            log_.log(LogLevel::Error,
                     "persistence: commit to %s failed (%s): not acknowledging what it held; %llu failure(s) so far",
                     store_->path().c_str(), r.error.c_str(), static_cast<unsigned long long>(store_failures_));
        }
    } else if (store_error_logged_ != 0 && r.wrote) {
        store_error_logged_ = 0;
        log_.log(LogLevel::Notice, "persistence: commits to %s succeed again", store_->path().c_str());
    }
    engine_->on_commit(r.ok, r.failure, now());
}

void Server::close_store() {
    if (!store_ || !engine_) {
        return;
    }
    // What the shutdown changed (sessions detached) goes to disk before exit.
    const store::CommitResult r = store_->commit(now());
    if (!r.ok) {
        log_.log(LogLevel::Error, "persistence: final commit to %s failed: %s", store_->path().c_str(),
                 r.error.c_str());
    }
}

}  // namespace mote::broker::net
