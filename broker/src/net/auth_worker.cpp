// Password checks on libuv's thread pool (see auth_worker.hpp).
#include "net/auth_worker.hpp"

#include <mbedtls/platform_util.h>

#include <thread>

#include "auth/password_file.hpp"

namespace mote::broker::net {

struct AuthWorker::Job {
    uv_work_t req{};
    AuthWorker* owner = nullptr;
    CredentialCheck check;
    bool ok = false;
};

AuthWorker::AuthWorker(uv_loop_t* loop, Logger& log, Done done, Wanted wanted)
    : loop_(loop), log_(log), done_(std::move(done)), wanted_(std::move(wanted)), max_running_(max_running()) {}

AuthWorker::~AuthWorker() {
    for (Job* job : queue_) delete job;
}

std::size_t AuthWorker::max_running() {
    const unsigned n = std::thread::hardware_concurrency();
    return n > 1 ? n - 1 : 1;
}

void AuthWorker::start_next() {
    while (running_ < max_running_ && !queue_.empty()) {
        Job* job = queue_.front();
        queue_.pop_front();
        if (!wanted_(job->check.id)) {
            --pending_;  // the connection is gone (or the broker is stopping): no answer owed
            delete job;
            continue;
        }
        if (uv_queue_work(loop_, &job->req, &AuthWorker::work, &AuthWorker::after) != 0) {
            // Cannot happen with a valid loop and callbacks; answer "refused".
            --pending_;
            const ConnectionId id = job->check.id;
            delete job;
            done_(id, false);
            continue;
        }
        ++running_;
    }
}

void AuthWorker::drop_unwanted() {
    std::deque<Job*> keep;
    for (Job* job : queue_) {
        if (wanted_(job->check.id)) {
            keep.push_back(job);
        } else {
            --pending_;
            delete job;
        }
    }
    queue_.swap(keep);
}

bool AuthWorker::submit(CredentialCheck&& check) {
    if (pending_ >= kMaxPending) drop_unwanted();  // clients that gave up free their places
    if (pending_ >= kMaxPending) {
        if ((refused_++ % 1000) == 0) {
            log_.log(LogLevel::Warning, "password checks: %zu already pending, refusing CONNECT (server unavailable)",
                     pending_);
        }
        return false;
    }
    auto* job = new Job;
    job->owner = this;
    job->check = std::move(check);
    job->req.data = job;
    queue_.push_back(job);
    ++pending_;
    start_next();
    return true;
}

void AuthWorker::work(uv_work_t* req) {
    // Worker thread: touches only the job and the immutable PasswordFile.
    Job& job = *static_cast<Job*>(req->data);
    const auth::PasswordFile* pf = job.check.passwords.get();
    const auth::PasswordEntry* e = pf != nullptr ? pf->find(job.check.username) : nullptr;
    // An unknown user costs as much as a known one (PasswordFile::dummy).
    job.ok = auth::verify(e != nullptr ? e : (pf != nullptr ? &pf->dummy() : nullptr), job.check.password) &&
             e != nullptr;
    mbedtls_platform_zeroize(job.check.password.data(), job.check.password.size());
}

void AuthWorker::after(uv_work_t* req, int status) {
    Job* job = static_cast<Job*>(req->data);
    AuthWorker& w = *job->owner;
    --w.pending_;
    --w.running_;
    const bool ok = status == 0 && job->ok;  // UV_ECANCELED: refused
    const ConnectionId id = job->check.id;
    delete job;
    w.start_next();
    w.done_(id, ok);
}

}  // namespace mote::broker::net
