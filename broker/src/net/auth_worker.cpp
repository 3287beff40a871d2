// Password checks on libuv's thread pool (see auth_worker.hpp).
#include "net/auth_worker.hpp"

#include <mbedtls/platform_util.h>

#include "auth/password_file.hpp"

namespace mote::broker::net {

struct AuthWorker::Job {
    uv_work_t req{};
    AuthWorker* owner = nullptr;
    CredentialCheck check;
    bool ok = false;
};

AuthWorker::AuthWorker(uv_loop_t* loop, Logger& log, Done done) : loop_(loop), log_(log), done_(std::move(done)) {}

bool AuthWorker::submit(CredentialCheck&& check) {
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
    if (uv_queue_work(loop_, &job->req, &AuthWorker::work, &AuthWorker::after) != 0) {
        delete job;
        return false;
    }
    ++pending_;
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
    const bool ok = status == 0 && job->ok;  // UV_ECANCELED: refused
    const ConnectionId id = job->check.id;
    delete job;
    w.done_(id, ok);
}

}  // namespace mote::broker::net
