// The durable store: an SQLite database in WAL mode behind the engine's
// SessionStore and RetainedStore (broker/src/engine/session_store.hpp). Memory
// stays the working copy the engine reads; the store records which sessions and
// retained topics changed and writes them, each as one record (store/record.hpp),
// in one transaction per commit(). The net layer calls commit() once per loop turn
// in strict mode and every persistence_interval_ms in relaxed mode
// (docs/persistence.md).
//
// Ownership: the store owns the database connection and, through its in-memory
// stores, every restored session and retained message. It must outlive the Engine
// that uses it; the Engine's destructor calls release_memory().
//
// Errors: open() fails with a sentence naming the file, what is wrong and what to
// do (corrupt or truncated file, not a Mote database, a newer schema, unreadable
// directory). commit() never throws: a failed transaction is rolled back, the
// changes stay pending for the next commit, and the result says why.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "engine/session_store.hpp"
#include "store/record.hpp"
#include "mote/broker/config.hpp"
#include "mote/common/protocol.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace mote::broker::store {

// The schema version this build writes (PRAGMA user_version); a database with a
// higher one is refused.
constexpr int kSchemaVersion = 1;
// PRAGMA application_id of a Mote database ("MOTE").
constexpr int kApplicationId = 0x4D4F5445;

struct CommitResult {
    bool ok = true;
    bool wrote = false;  // a transaction was committed (something had changed)
    // When !ok: 0x97 Quota exceeded for a full disk or database size cap, else 0x80.
    mqtt::Reason failure = mqtt::Reason::Success;
    std::string error;   // SQLite's message, when !ok
    std::size_t sessions_written = 0;
    std::size_t retained_written = 0;
};

using detail::Session;

class SqliteStore final : public detail::Persistence {
public:
    // Milliseconds since the Unix epoch; tests supply their own.
    using WallClock = std::function<std::int64_t()>;

    SqliteStore();
    ~SqliteStore() override;
    SqliteStore(const SqliteStore&) = delete;
    SqliteStore& operator=(const SqliteStore&) = delete;

    // The database file for `cfg` (persistence_location/persistence_file).
    static std::string path_for(const BrokerConfig& cfg);

    void set_wall_clock(WallClock clock) { wall_ = std::move(clock); }
    // Opens (creating if needed) and loads the database. `now` is the engine's
    // clock at this moment. On failure returns false with `error` set; the store is
    // then empty and unusable.
    bool open(const std::string& path, const BrokerConfig& cfg, Millis now, std::string& error);

    // Something changed since the last successful commit.
    bool dirty() const;
    // Writes every change in one transaction and syncs it to disk (synchronous=FULL).
    CommitResult commit(Millis now);

    // detail::Persistence
    detail::SessionStore& sessions() override;
    detail::RetainedStore& retained() override;
    bool hold_acks() const override { return strict_; }
    std::vector<std::string> take_were_online() override;
    void release_memory() override;

    const std::string& path() const { return path_; }

private:
    class Sessions;
    class Retained;

    bool fail_open(const std::string& what, std::string& error);
    bool check_header(std::string& error);
    bool create_schema(std::string& error);
    bool prepare(std::string& error);
    bool load(Millis now, std::string& error);
    bool exec(const char* sql);
    bool write_changes(const Clocks& clk, CommitResult& r);
    bool write_queue(Session& s, const Clocks& clk);
    bool load_sessions(const Clocks& clk, std::string& error);
    bool load_queues(const Clocks& clk, std::string& error);
    bool load_retained(const Clocks& clk, std::string& error);
    void forget_queue_rows();

    sqlite3* db_ = nullptr;
    std::string path_;
    bool strict_ = true;
    WallClock wall_;
    std::unique_ptr<Sessions> sessions_;
    std::unique_ptr<Retained> retained_;
    std::vector<std::string> were_online_;
    std::vector<std::uint8_t> buf_;  // record scratch
    sqlite3_stmt* put_session_ = nullptr;
    sqlite3_stmt* del_session_ = nullptr;
    sqlite3_stmt* put_retained_ = nullptr;
    sqlite3_stmt* del_retained_ = nullptr;
    sqlite3_stmt* put_queued_ = nullptr;
    sqlite3_stmt* del_queued_below_ = nullptr;
    sqlite3_stmt* del_queued_all_ = nullptr;
};

}  // namespace mote::broker::store
