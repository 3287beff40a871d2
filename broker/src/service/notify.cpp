#include "service/notify.hpp"

#include <csignal>
#include <cstdlib>
#include <cstring>

#ifdef MOTE_HAVE_SYSTEMD
#include <systemd/sd-daemon.h>
#endif

namespace mote::broker::service {

namespace {

ServiceNotifier& notifier_of(void* data) { return *static_cast<ServiceNotifier*>(data); }

}  // namespace

ServiceNotifier::ServiceNotifier(Logger& log) : log_(log) {
#ifdef MOTE_HAVE_SYSTEMD
    const char* socket = std::getenv("NOTIFY_SOCKET");
    enabled_ = socket != nullptr && socket[0] != '\0';
    std::uint64_t usec = 0;
    // > 0 only when WATCHDOG_USEC is set (and WATCHDOG_PID, if set, is ours).
    if (enabled_ && sd_watchdog_enabled(0, &usec) > 0 && usec > 0) {
        // Ping twice per period, as sd_watchdog_enabled(3) recommends; at least
        // every millisecond the timer can express.
        watchdog_ms_ = usec / 2000 > 0 ? usec / 2000 : 1;
    }
#endif
}

void ServiceNotifier::notify(const char* state) {
#ifdef MOTE_HAVE_SYSTEMD
    if (!enabled_) {
        return;
    }
    const int r = sd_notify(0, state);
    if (r < 0) {
        log_.log(LogLevel::Warning, "sd_notify(%s) failed: %s", state, std::strerror(-r));
    }
#else
    (void)state;
#endif
}

void ServiceNotifier::start(uv_loop_t* loop, const std::string& status) {
    if (!enabled_ || started_) {
        return;
    }
    started_ = true;
    const std::string ready = "READY=1\nSTATUS=" + status;
    notify(ready.c_str());

    uv_timer_init(loop, &watchdog_);
    watchdog_.data = this;
    uv_unref(reinterpret_cast<uv_handle_t*>(&watchdog_));
    if (watchdog_ms_ > 0) {
        uv_timer_start(&watchdog_, [](uv_timer_t* t) { notifier_of(t->data).on_watchdog(); }, watchdog_ms_,
                       watchdog_ms_);
        log_.log(LogLevel::Info, "systemd watchdog: pinging every %llu ms",
                 static_cast<unsigned long long>(watchdog_ms_));
    }
    for (auto [handle, sig] : {std::pair{&sigterm_, SIGTERM}, std::pair{&sigint_, SIGINT}}) {
        uv_signal_init(loop, handle);
        handle->data = this;
        uv_signal_start(handle, [](uv_signal_t* h, int signum) { notifier_of(h->data).on_stop_signal(signum); },
                        sig);
        uv_unref(reinterpret_cast<uv_handle_t*>(handle));
    }
}

void ServiceNotifier::on_watchdog() { notify("WATCHDOG=1"); }

void ServiceNotifier::on_stop_signal(int /*signum*/) { stopping(); }

void ServiceNotifier::stopping() {
    if (stopping_sent_) {
        return;
    }
    stopping_sent_ = true;
    notify("STOPPING=1\nSTATUS=shutting down");
}

void ServiceNotifier::close() {
    if (!started_ || closed_) {
        return;
    }
    closed_ = true;
    stopping();
    for (auto* handle : {reinterpret_cast<uv_handle_t*>(&watchdog_), reinterpret_cast<uv_handle_t*>(&sigterm_),
                         reinterpret_cast<uv_handle_t*>(&sigint_)}) {
        uv_close(handle, nullptr);
    }
}

}  // namespace mote::broker::service
