// The Server's part in authentication: password checks go to the AuthWorker (libuv
// thread pool) and come back to the engine; SIGHUP re-reads the password and ACL
// files and swaps the engine's snapshot only when every file parsed.
#include "auth/security.hpp"
#include "net/server.hpp"

namespace mote::broker::net {

bool Server::check_credentials(CredentialCheck&& check) {
    if (!auth_) {
        auth_ = std::make_unique<AuthWorker>(
            &loop_, log_,
            [this](ConnectionId id, bool ok) {
                // On the loop thread; the check handle flushes the replies this causes.
                engine_->on_auth_result(id, ok, now());
            },
            [this](ConnectionId id) {
                const Connection* c = shutting_down_ ? nullptr : find(id);
                return c != nullptr && c->state == ConnState::Open;
            });
    }
    return auth_->submit(std::move(check));
}

void Server::set_security(std::shared_ptr<const auth::Security> security) {
    engine_->set_security(std::move(security));
}

void Server::reload_security(const BrokerConfig& fresh) {
    std::shared_ptr<const auth::Security> sec;
    ConfigError err;
    if (!auth::load_security(fresh, sec, err)) {
        log_.log(LogLevel::Error, "SIGHUP: password/ACL files not reloaded, keeping the running ones: %s",
                 err.to_string().c_str());
        return;
    }
    engine_->set_security(std::move(sec));
    log_.log(LogLevel::Notice, "SIGHUP: reloaded security: allow_anonymous, password_file %s, acl_file %s",
             fresh.password_file.empty() ? "(none)" : fresh.password_file.c_str(),
             fresh.acl_file.empty() ? "(none)" : fresh.acl_file.c_str());
}

}  // namespace mote::broker::net
