// Password checks on libuv's thread pool (uv_queue_work), so that PBKDF2 never runs
// on the event loop. One AuthWorker per Server (per loop).
//
// Ownership: each check is a Job allocated by submit() and freed in its after-work
// callback on the loop thread; the job owns a copy of the credentials (wiped after
// hashing) and a shared_ptr to the immutable PasswordFile snapshot it checks
// against, so a SIGHUP reload during a check is safe. The result is reported by
// ConnectionId; a connection that closed meanwhile is simply not found by the
// engine. The AuthWorker must outlive the loop's last uv_run (the Server owns it).
#pragma once

#include <uv.h>

#include <cstddef>
#include <deque>
#include <functional>

#include "mote/broker/engine.hpp"
#include "mote/broker/log.hpp"

namespace mote::broker::net {

class AuthWorker {
public:
    using Done = std::function<void(ConnectionId id, bool ok)>;
    // Whether a queued check is still worth running (its connection is open and the
    // broker is not shutting down); checks of connections that went away are
    // dropped unhashed, so clients that give up cost no CPU.
    using Wanted = std::function<bool(ConnectionId id)>;

    // Checks waiting or running at once; beyond it submit() refuses, so a storm of
    // CONNECTs cannot queue unbounded work (the engine answers "server unavailable").
    static constexpr std::size_t kMaxPending = 256;
    // Checks hashing at once: one core fewer than the machine has (at least one),
    // so that a storm of CONNECTs leaves a core to the event loop; the rest wait
    // in `queue_` (not in libuv's pool, which other work shares).
    static std::size_t max_running();

    AuthWorker(uv_loop_t* loop, Logger& log, Done done, Wanted wanted);
    ~AuthWorker();  // frees checks never started (the loop drains started ones)
    AuthWorker(const AuthWorker&) = delete;
    AuthWorker& operator=(const AuthWorker&) = delete;

    // Queues the check; false when too many are pending or libuv refuses.
    bool submit(CredentialCheck&& check);
    std::size_t pending() const { return pending_; }

private:
    struct Job;
    static void work(uv_work_t* req);
    static void after(uv_work_t* req, int status);
    void start_next();
    void drop_unwanted();  // removes queued checks whose connection went away

    uv_loop_t* loop_;
    Logger& log_;
    Done done_;
    Wanted wanted_;
    std::size_t pending_ = 0;   // queued plus running
    std::size_t running_ = 0;   // handed to uv_queue_work
    std::size_t max_running_;
    std::deque<Job*> queue_;    // owned; started in order
    std::uint64_t refused_ = 0;
};

}  // namespace mote::broker::net
