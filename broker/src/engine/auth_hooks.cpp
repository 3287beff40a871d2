// Authentication and authorisation inside the engine, which stays sans-I/O: it
// decides who needs a password check and hands the check to the Io (the net layer
// hashes on a worker thread), holds the CONNECT and what follows it until the
// answer, and asks the ACL (parsed by broker/src/auth, immutable) on PUBLISH,
// SUBSCRIBE, delivery and Wills. docs/security.md describes the behaviour.
#include "auth/security.hpp"
#include "engine/engine_impl.hpp"

namespace mote::broker {

using detail::Connection;
using detail::Session;
using mqtt::PacketType;
using mqtt::Reason;

namespace {

std::string_view view(mqtt::Bytes b) { return {b.chars(), b.size}; }

auth::AclIdentity identity(const Session& s) {
    return auth::AclIdentity{s.client_id, s.username, s.has_username};
}

// A TLS listener with use_identity_as_username: the client certificate's subject CN,
// verified in the handshake, is the client's user name (docs/tls.md).
bool cert_is_username(const Connection& c) {
    return c.peer.use_identity_as_username && !c.peer.cert_identity.empty();
}

}  // namespace

void Engine::set_security(std::shared_ptr<const auth::Security> security) {
    Impl& m = *impl_;
    m.security = std::move(security);
    m.any_acl = false;
    if (!m.security) return;
    m.any_acl = m.security->global_.acl != nullptr;
    for (const auth::ListenerSecurity& l : m.security->per_listener_) m.any_acl = m.any_acl || l.acl != nullptr;
}

mqtt::Error Engine::Impl::anonymous_policy(const Connection& c, const mqtt::Connect& p) const {
    const bool allow = security ? security->for_listener(c.peer.listener_index).allow_anonymous : cfg.allow_anonymous;
    if (!allow && c.peer.bridge == nullptr && !p.has_username && !cert_is_username(c)) {
        // mosquitto answers 0x87 Not authorized (3.1.1: 0x05) here.
        return {Reason::NotAuthorized, "anonymous client refused"};
    }
    return mqtt::kOk;
}

bool Engine::Impl::start_password_check(Connection& c, std::uint8_t first_byte, mqtt::Bytes body,
                                        const mqtt::Connect& p, Millis now) {
    // use_identity_as_username: the verified client certificate is the credential,
    // the CONNECT's user name and password are not checked (as in mosquitto).
    if (!security || !p.has_username || cert_is_username(c) || c.peer.bridge != nullptr) return false;
    const auth::ListenerSecurity& ls = security->for_listener(c.peer.listener_index);
    if (!ls.passwords) return false;  // no password file: a user name is enough (as mosquitto)
    CredentialCheck check;
    check.id = c.id;
    check.passwords = ls.passwords;
    check.username.assign(view(p.username));
    if (p.has_password) check.password.assign(view(p.password));
    // The decoded CONNECT views `body`, valid only during this call: keep the bytes
    // and decode again when the answer comes.
    auto pending = std::make_unique<detail::PendingConnect>();
    pending->first_byte = first_byte;
    pending->body.assign(body.data, body.data + body.size);
    c.pending_connect = std::move(pending);
    if (!io.check_credentials(std::move(check))) {
        c.pending_connect.reset();
        fail(c, {Reason::ServerUnavailable, "password checks unavailable"}, now);
    }
    return true;
}

void Engine::Impl::hold_packet(Connection& c, std::uint8_t first_byte, mqtt::Bytes body, Millis now) {
    // 5.0 §3.1.4 and 3.1.1 §3.1.4 let a client send packets before the CONNACK; the
    // server processes them after accepting the CONNECT, so they wait here.
    detail::PendingConnect& pc = *c.pending_connect;
    pc.held_bytes += body.size + 5;
    if (pc.held_bytes > detail::kMaxHeldBytes) {
        if (log.enabled(LogLevel::Notice)) {
            log.log(LogLevel::Notice, "closing conn=%llu peer=%s: more than %zu bytes sent before the CONNACK",
                    static_cast<unsigned long long>(c.id), c.peer.address.c_str(), detail::kMaxHeldBytes);
        }
        drop_connection(c, now, detail::CloseKind::Abnormal);
        return;
    }
    pc.held.emplace_back(first_byte, std::vector<std::uint8_t>(body.data, body.data + body.size));
}

void Engine::Impl::on_auth_result(Connection& c, bool ok, Millis now) {
    std::unique_ptr<detail::PendingConnect> pc = std::move(c.pending_connect);
    mqtt::DecodeOptions opts;
    opts.sender = mqtt::Role::Client;
    mqtt::Connect p;
    const mqtt::Bytes body(pc->body.data(), pc->body.size());
    if (mqtt::decode_connect(pc->first_byte, body, opts, p) || !ok) {
        if (log.enabled(LogLevel::Notice)) {
            // The line names the client and the peer, never which part was wrong.
            log.log(LogLevel::Notice, "connect refused: bad user name or password, client=%.*s peer=%s",
                    static_cast<int>(std::min<std::size_t>(p.client_id.size, 128)), p.client_id.chars(),
                    c.peer.address.c_str());
        }
        // 5.0: 0x86 Bad User Name or Password; 3.1.1: 0x05 Not authorized, which is
        // what mosquitto sends (3.1.1's 0x04 means a malformed user name or password).
        fail(c, {mqtt::is_v5(c.version) ? Reason::BadUserNameOrPassword : Reason::NotAuthorized,
                 "bad user name or password"},
             now);
        return;
    }
    const ConnectionId id = c.id;
    accept_connect(c, p, now);
    for (auto& h : pc->held) {
        Connection* live = find_conn(id);
        if (live == nullptr) return;  // a held packet ended the connection
        on_packet(*live, h.first, mqtt::Bytes(h.second.data(), h.second.size()), now);
    }
}

void Engine::Impl::set_identity(Session& s, const Connection& c, const mqtt::Connect& p) {
    if (cert_is_username(c)) {
        // The certificate's CN replaces the CONNECT's user name for the ACL (%u, user).
        s.has_username = true;
        s.username = c.peer.cert_identity;
    } else {
        s.has_username = p.has_username;
        s.username.assign(p.has_username ? view(p.username) : std::string_view());
    }
    s.listener = c.peer.listener_index;
    s.bridge = c.peer.bridge;
}

bool Engine::Impl::acl_allows(const Session& s, std::string_view topic, std::uint8_t access) const {
    if (!security || s.bridge != nullptr) return true;  // the bridge is the broker's own client
    const auth::AclFile* acl = security->for_listener(s.listener).acl.get();
    if (acl == nullptr) return true;
    return acl->allowed(identity(s), topic, static_cast<auth::Access>(access));
}

bool Engine::Impl::acl_allows_subscribe(const Session& s, mqtt::Bytes filter) const {
    if (!security || s.bridge != nullptr) return true;
    const auth::AclFile* acl = security->for_listener(s.listener).acl.get();
    return acl == nullptr || acl->may_subscribe(identity(s), view(filter));
}

void Engine::Impl::publish_denied(Connection& c, const mqtt::Publish& p, std::string_view topic) {
    Session& s = *c.session;
    if (log.enabled(LogLevel::Debug)) {
        log.log(LogLevel::Debug, "publish denied by the ACL client=%s topic=%.*s", s.client_id.c_str(),
                static_cast<int>(std::min<std::size_t>(topic.size(), 256)), topic.data());
    }
    const bool v5 = mqtt::is_v5(c.version);
    if (p.qos == 1) send_ack(c, PacketType::Puback, p.packet_id, v5 ? Reason::NotAuthorized : Reason::Success);
    if (p.qos == 2) {
        if (v5) {
            // A PUBREC with a failure code ends the flow (5.0 §4.3.3): no PUBREL follows.
            send_ack(c, PacketType::Pubrec, p.packet_id, Reason::NotAuthorized);
        } else {
            // 3.1.1 has no way to refuse: the flow completes and the message is dropped.
            s.incoming_qos2.set(p.packet_id, nullptr);
            send_ack(c, PacketType::Pubrec, p.packet_id, Reason::Success);
        }
    }
}

}  // namespace mote::broker
