// What the broker enforces on each listener: whether anonymous clients may connect,
// the password file and the ACL file. Built from the configuration at start-up and
// on SIGHUP (load_security reads and parses the files), then immutable: the engine
// and the password-check worker share it through a shared_ptr, and a reload swaps in
// a new one, so a check that is running keeps the snapshot it started with.
//
// With per_listener_settings false (the default, as in mosquitto) one set applies to
// every listener; with true each `listener` section has its own, and the listeners
// not declared by a `listener` line (`port`, the built-in loopback listener, -p) use
// the options given before the first `listener` line.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "acl_file.hpp"
#include "password_file.hpp"
#include "mote/broker/config.hpp"

namespace mote::broker::auth {

struct ListenerSecurity {
    bool allow_anonymous = true;
    std::shared_ptr<const PasswordFile> passwords;  // null: no password file
    std::shared_ptr<const AclFile> acl;             // null: no ACL (everything allowed)
    std::string password_file;                       // paths, for logs
    std::string acl_file;
};

class Security {
public:
    // The settings of the listener at `index` in BrokerConfig::listeners (out of
    // range: the global ones).
    const ListenerSecurity& for_listener(std::size_t index) const {
        return index < per_listener_.size() ? per_listener_[index] : global_;
    }

    ListenerSecurity global_;
    std::vector<ListenerSecurity> per_listener_;  // empty unless per_listener_settings
};

// Reads and parses every password and ACL file `cfg` names. On error fills `err`
// with the file, the line and what is wrong (option "password_file"/"acl_file") and
// leaves `out` unchanged.
bool load_security(const BrokerConfig& cfg, std::shared_ptr<const Security>& out, ConfigError& err);

// Reads and parses one file; `err.line` is the line in that file.
bool load_password_file(const std::string& path, std::shared_ptr<const PasswordFile>& out, ConfigError& err);
bool load_acl_file(const std::string& path, std::shared_ptr<const AclFile>& out, ConfigError& err);

}  // namespace mote::broker::auth
