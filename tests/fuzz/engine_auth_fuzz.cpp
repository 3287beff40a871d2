// Engine fuzz target for authentication and the ACL: the engine_fuzz script
// language (see engine_fuzz.cpp), with a password file and an ACL in force and an
// Io that keeps every password check pending until the script answers it. Each
// step byte: bits 0-1 the client (0-3), bits 2-4 the action:
//   0     open a connection for the client (a new id each time)
//   1-3   a packet: first byte, 2-byte body length (big endian, clipped), body
//   4     the socket closes (on_closed)
//   5     time passes: next byte t, t*t*50 ms, then tick()
//   6     a new security snapshot (SIGHUP): bit 5 picks one of two ACLs
//   7     the oldest pending password check is answered: bit 5 = accepted
// Pending checks may belong to connections that closed long ago (the engine must
// ignore those). The null Io traps on any send or close to a connection that is
// closed or was never opened, and on a check for a connection it does not know.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <set>
#include <string>

#include "../../broker/src/auth/security.hpp"
#include "mote/broker/engine.hpp"
#include "mote/broker/log.hpp"

using namespace mote::broker;

namespace {

// A plain TCP peer on listener 0 (PeerInfo grows fields: name the ones that matter).
mote::broker::PeerInfo fuzz_peer() {
    mote::broker::PeerInfo p;
    p.address = "fuzz";
    p.listener_port = 1883;
    return p;
}

class CheckingIo final : public Io {
public:
    SendResult send(ConnectionId id, mote::mqtt::Bytes) override {
        check(id);
        return SendResult::Ok;
    }
    SendResult send_publish(ConnectionId id, mote::mqtt::Bytes header, const MessagePtr& msg) override {
        check(id);
        if (header.size == 0 || !msg) __builtin_trap();
        return SendResult::Ok;
    }
    void close(ConnectionId id) override {
        check(id);
        open.erase(id);
    }
    bool check_credentials(CredentialCheck&& c) override {
        check(c.id);
        if (!c.passwords) __builtin_trap();
        pending.push_back(c.id);
        return true;
    }
    void check(ConnectionId id) const {
        if (open.count(id) == 0) __builtin_trap();
    }
    std::set<ConnectionId> open;
    std::deque<ConnectionId> pending;
};

std::shared_ptr<const auth::Security> make_security(bool second) {
    auto s = std::make_shared<auth::Security>();
    auto pf = std::make_shared<auth::PasswordFile>();
    auth::ParseError err;
    // The engine never reads the hash (the Io checks it); a cheap valid line.
    auth::PasswordFile::parse(
        "alice:$6$aUMxUzOJYLb0KeI7$BdHoCqTOxJH9WXXQi3P/FNU/yJkUGdoJUGfgqyrzXthYY6qd7avCrFBdZKbDqMMLgtA2wzbC5E832p8IfsQ3iA==\n",
        *pf, err);
    auto acl = std::make_shared<auth::AclFile>();
    auth::AclFile::parse(second ? "topic write a/#\nuser alice\ntopic read #\npattern readwrite c/%c/#\n"
                                : "topic readwrite a/#\ntopic deny a/b\ntopic read $SYS/#\nuser alice\n"
                                  "topic readwrite #\npattern read u/%u/#\n",
                         *acl, err);
    s->global_.allow_anonymous = !second;
    s->global_.passwords = pf;
    s->global_.acl = acl;
    return s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size == 0) return 0;
    BrokerConfig cfg;
    cfg.log_dest = {"none"};
    cfg.sys_interval = (data[0] & 1u) ? 5 : 0;
    cfg.connect_timeout = 3;
    cfg.max_queued_messages = 4;
    Logger log;
    std::string err;
    log.configure(cfg, err);
    CheckingIo io;
    Millis now = 1000;
    Engine engine(cfg, log, io, now);
    engine.set_security(make_security((data[0] & 2u) != 0));
    ConnectionId generation[4] = {0, 0, 0, 0};
    auto id_of = [&](unsigned client) { return (generation[client] << 2) | (client + 1); };

    std::size_t i = 1;
    while (i < size) {
        const std::uint8_t step = data[i++];
        const unsigned client = step & 3u;
        const unsigned action = (step >> 2) & 7u;
        const ConnectionId id = id_of(client);
        switch (action) {
        case 0: {
            ++generation[client];
            const ConnectionId fresh = id_of(client);
            io.open.insert(fresh);
            engine.on_open(fresh, fuzz_peer(), now);
            break;
        }
        case 1:
        case 2:
        case 3: {
            if (i + 3 > size) return 0;
            const std::uint8_t first = data[i];
            std::size_t len = (std::size_t{data[i + 1]} << 8) | data[i + 2];
            i += 3;
            if (len > size - i) len = size - i;
            if (io.open.count(id) != 0) {
                engine.on_packet(id, first, mote::mqtt::Bytes(data + i, len), len + 2, now);
            }
            i += len;
            break;
        }
        case 4:
            if (io.open.count(id) != 0) {
                io.open.erase(id);
                engine.on_closed(id, now);
            }
            break;
        case 5: {
            const Millis t = i < size ? data[i++] : 1;
            now += t * t * 50;
            engine.tick(now);
            break;
        }
        case 6:
            engine.set_security(make_security((step & 0x20u) != 0));
            break;
        default:
            if (!io.pending.empty()) {
                const ConnectionId answered = io.pending.front();
                io.pending.pop_front();
                engine.on_auth_result(answered, (step & 0x20u) != 0, now);
            }
            break;
        }
    }
    while (!io.pending.empty()) {
        engine.on_auth_result(io.pending.front(), true, now);
        io.pending.pop_front();
    }
    engine.shutdown(now);
    return 0;
}
