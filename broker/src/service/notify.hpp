// Service manager notifications (systemd Type=notify) for mote-broker.
//
// ServiceNotifier tells systemd, through libsystemd's sd_notify(), that the broker
// is ready (READY=1, once every listener is bound), that it is stopping
// (STOPPING=1, on SIGTERM/SIGINT or when the loop ends) and, when the unit sets
// WatchdogSec=, that the event loop is alive (WATCHDOG=1 from a timer on the
// broker's own loop, every half watchdog period: a stuck loop stops the pings and
// systemd restarts the broker).
//
// Without libsystemd (MOTE_HAVE_SYSTEMD undefined, e.g. the static build) or when
// the broker was not started by a service manager (no NOTIFY_SOCKET), every call is
// a no-op and enabled() is false.
//
// Ownership (STYLE #11): the uv handles live in this object and are registered on
// the Server's loop by start(); close() closes them and the Server's destructor runs
// the loop until their close callbacks have run, so a ServiceNotifier must be
// declared before the Server it watches (destroyed after it). The handles are
// unreferenced: they never keep the loop alive, and the Server's own SIGTERM/SIGHUP
// handling is unchanged (libuv calls every watcher of a signal).
#pragma once

#include <uv.h>

#include <cstdint>
#include <string>

#include "mote/broker/log.hpp"

namespace mote::broker::service {

class ServiceNotifier {
public:
    explicit ServiceNotifier(Logger& log);
    ~ServiceNotifier() = default;
    ServiceNotifier(const ServiceNotifier&) = delete;
    ServiceNotifier& operator=(const ServiceNotifier&) = delete;

    // True when built with libsystemd and NOTIFY_SOCKET is set.
    bool enabled() const { return enabled_; }
    // Milliseconds between WATCHDOG=1 pings (half of WATCHDOG_USEC); 0: no watchdog.
    std::uint64_t watchdog_interval_ms() const { return watchdog_ms_; }

    // Sends READY=1 with STATUS=`status`, then starts the watchdog timer and the
    // SIGTERM/SIGINT watchers on `loop`. Call once, after the listeners are bound.
    void start(uv_loop_t* loop, const std::string& status);
    // Sends STOPPING=1 (once) and closes the handles; the loop's owner runs the
    // close callbacks. Safe to call when start() was not called.
    void close();

    // libuv trampolines.
    void on_watchdog();
    void on_stop_signal(int signum);

private:
    void notify(const char* state);
    void stopping();

    Logger& log_;
    bool enabled_ = false;
    bool started_ = false;
    bool stopping_sent_ = false;
    bool closed_ = false;
    std::uint64_t watchdog_ms_ = 0;
    uv_timer_t watchdog_{};
    uv_signal_t sigterm_{};
    uv_signal_t sigint_{};
};

}  // namespace mote::broker::service
