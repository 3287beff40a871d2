#include "store/sqlite_store.hpp"

#include <sqlite3.h>
#include <sys/stat.h>

#include <chrono>
#include <cstring>
#include <map>
#include <set>
#include <utility>

namespace mote::broker::store {

namespace {

// $SYS topics are republished by the engine at start-up and every sys_interval:
// storing them would only write the same numbers again.
bool is_sys(std::string_view topic) { return topic == "$SYS" || topic.substr(0, 5) == "$SYS/"; }

std::int64_t system_wall() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

}  // namespace

// The queue rows of one session: seqs first..last are in the database (none when
// last < first); the next delivery gets `next`. `unknown`: a failed commit left
// the rows in doubt, so the next one rewrites them all.
struct QueueRows {
    std::uint64_t next = 1;
    std::uint64_t first = 1;
    std::uint64_t last = 0;
    bool unknown = false;

    bool any() const { return unknown || last >= first; }
    void none() {
        first = next;
        last = next - 1;
        unknown = false;
    }
};

// The sessions: memory is the working copy; `dirty_` and `erased_` say which rows
// the next commit writes or deletes, `stored_` which rows the database has.
class SqliteStore::Sessions final : public detail::SessionStore {
public:
    Session* find(const std::string& id) override { return mem_.find(id); }
    Session& create(const std::string& id) override {
        dirty_.insert(id);
        return mem_.create(id);
    }
    void erase(const std::string& id) override {
        dirty_.erase(id);
        auto q = queues_.find(id);
        if (stored_.count(id) != 0 || (q != queues_.end() && q->second.any())) erased_.insert(id);
        mem_.erase(id);
    }
    std::size_t size() const override { return mem_.size(); }
    void for_each(const std::function<void(Session&)>& fn) override { mem_.for_each(fn); }
    void session_changed(const Session& s) override { dirty_.insert(s.client_id); }

    detail::MemorySessionStore mem_;
    // Ordered: rows are written in key order, which keeps SQLite's B-tree inserts
    // sequential (random order thrashes the page cache on a large database).
    std::set<std::string> dirty_;
    std::set<std::string> erased_;
    std::unordered_set<std::string> stored_;
    std::unordered_map<std::string, QueueRows> queues_;
};

class SqliteStore::Retained final : public detail::RetainedStore {
public:
    void set(const std::string& topic, MessagePtr msg) override {
        if (!is_sys(topic)) dirty_[topic] = true;
        mem_.set(topic, std::move(msg));
    }
    void clear(const std::string& topic) override {
        if (!is_sys(topic)) dirty_[topic] = false;
        mem_.clear(topic);
    }
    MessagePtr find(const std::string& topic) const override { return mem_.find(topic); }
    std::size_t size() const override { return mem_.size(); }
    void for_each(const std::function<void(const MessagePtr&)>& fn) const override { mem_.for_each(fn); }

    detail::MemoryRetainedStore mem_;
    std::map<std::string, bool> dirty_;  // topic -> set (true) or cleared, in key order
};

SqliteStore::SqliteStore()
    : wall_(system_wall), sessions_(std::make_unique<Sessions>()), retained_(std::make_unique<Retained>()) {}

SqliteStore::~SqliteStore() {
    for (sqlite3_stmt* s : {put_session_, del_session_, put_retained_, del_retained_, put_queued_, del_queued_below_,
                            del_queued_all_}) {
        sqlite3_finalize(s);
    }
    if (db_ != nullptr) sqlite3_close(db_);
}

std::string SqliteStore::path_for(const BrokerConfig& cfg) {
    std::string dir = cfg.persistence_location;
    if (!dir.empty() && dir.back() != '/') dir += '/';
    return dir + cfg.persistence_file;
}

detail::SessionStore& SqliteStore::sessions() { return *sessions_; }
detail::RetainedStore& SqliteStore::retained() { return *retained_; }

std::vector<std::string> SqliteStore::take_were_online() { return std::exchange(were_online_, {}); }

void SqliteStore::release_memory() {
    sessions_ = std::make_unique<Sessions>();
    retained_ = std::make_unique<Retained>();
}

bool SqliteStore::exec(const char* sql) { return sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) == SQLITE_OK; }

bool SqliteStore::fail_open(const std::string& what, std::string& error) {
    error = "persistence database " + path_ + ": " + what;
    if (db_ != nullptr) {
        // close_v2: the prepared statements are finalized later, by the destructor.
        sqlite3_close_v2(db_);
        db_ = nullptr;
    }
    return false;
}

bool SqliteStore::open(const std::string& path, const BrokerConfig& cfg, Millis now, std::string& error) {
    path_ = path;
    strict_ = cfg.persistence_durability == Durability::Strict;
    const std::size_t slash = path.rfind('/');
    if (slash != std::string::npos && slash != 0) {
        struct stat st {};
        const std::string dir = path.substr(0, slash);
        if (::stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) {
            return fail_open("persistence_location " + dir + " is not a directory (create it first)", error);
        }
    }
    if (sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        nullptr) != SQLITE_OK) {
        return fail_open(std::string("cannot open: ") + (db_ ? sqlite3_errmsg(db_) : "out of memory"), error);
    }
    sqlite3_extended_result_codes(db_, 1);
    if (!check_header(error) || !create_schema(error)) return false;
    if (cfg.persistence_max_bytes != 0) {
        // A size cap (for SD cards, and to test a full disk): past it, commits fail
        // with SQLITE_FULL like on a full file system.
        const std::string sql = "PRAGMA max_page_count=" + std::to_string(cfg.persistence_max_bytes / 4096);
        exec(sql.c_str());
    }
    return prepare(error) && load(now, error);
}

namespace {

const char* const kMoveAside =
    ". Move it aside to start with an empty store (mv FILE FILE.bad, and FILE-wal and FILE-shm next to it if "
    "present), or restore a backup";

std::string move_aside(const std::string& path) {
    std::string s = kMoveAside;
    for (std::size_t at = s.find("FILE"); at != std::string::npos; at = s.find("FILE", at + path.size())) {
        s.replace(at, 4, path);
    }
    return s;
}

}  // namespace

bool SqliteStore::check_header(std::string& error) {
    // The first read of the file: a file that is not SQLite, or truncated, fails here.
    int app_id = 0;
    int version = 0;
    int tables = 0;
    auto read_int = [this](const char* sql, int& out) {
        sqlite3_stmt* st = nullptr;
        if (sqlite3_prepare_v2(db_, sql, -1, &st, nullptr) != SQLITE_OK) return false;
        const int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) out = sqlite3_column_int(st, 0);
        sqlite3_finalize(st);
        return rc == SQLITE_ROW || rc == SQLITE_DONE;
    };
    if (!read_int("PRAGMA application_id", app_id) || !read_int("PRAGMA user_version", version) ||
        !read_int("SELECT count(*) FROM sqlite_master", tables)) {
        return fail_open(std::string("cannot be read: ") + sqlite3_errmsg(db_) +
                             " (the file is corrupt, truncated or not an SQLite database)" + move_aside(path_),
                         error);
    }
    if (tables != 0 && app_id != kApplicationId) {
        return fail_open("is an SQLite database but not one written by Mote (application_id " +
                             std::to_string(app_id) + "); set persistence_file to another name" + move_aside(path_),
                         error);
    }
    if (version > kSchemaVersion) {
        return fail_open("was written by a newer Mote (schema version " + std::to_string(version) +
                             "; this mote-broker reads up to " + std::to_string(kSchemaVersion) +
                             "). Run the newer mote-broker, or move the file aside to start empty",
                         error);
    }
    // The full structural check: a truncated or damaged file must be refused at
    // start-up, not found broken in the middle of serving.
    sqlite3_stmt* st = nullptr;
    std::string verdict = "ok";
    if (sqlite3_prepare_v2(db_, "PRAGMA quick_check(1)", -1, &st, nullptr) != SQLITE_OK) {
        verdict = sqlite3_errmsg(db_);
    } else {
        const int rc = sqlite3_step(st);
        if (rc == SQLITE_ROW) {
            const unsigned char* t = sqlite3_column_text(st, 0);
            verdict = t != nullptr ? reinterpret_cast<const char*>(t) : "?";
        } else {
            verdict = sqlite3_errmsg(db_);
        }
        sqlite3_finalize(st);
    }
    if (verdict != "ok") {
        return fail_open("is corrupt or truncated (" + verdict + ")" + move_aside(path_), error);
    }
    return true;
}

bool SqliteStore::create_schema(std::string& error) {
    // WAL: readers never block the writer and a commit appends to one file; FULL:
    // each commit is synced before it returns, so a commit is a durable barrier.
    // 16 MiB of page cache instead of 2: a large store (a million retained
    // messages) is written and read without re-reading its inner pages.
    if (!exec("PRAGMA journal_mode=WAL") || !exec("PRAGMA synchronous=FULL") || !exec("PRAGMA cache_size=-16384")) {
        return fail_open(std::string("cannot enable WAL mode: ") + sqlite3_errmsg(db_), error);
    }
    const std::string sql = "BEGIN;"
                            "CREATE TABLE IF NOT EXISTS sessions(client_id TEXT PRIMARY KEY, data BLOB NOT NULL);"
                            "CREATE TABLE IF NOT EXISTS retained(topic TEXT PRIMARY KEY, data BLOB NOT NULL) "
                            "WITHOUT ROWID;"
                            "CREATE TABLE IF NOT EXISTS queue(client_id TEXT NOT NULL, seq INTEGER NOT NULL, "
                            "data BLOB NOT NULL, PRIMARY KEY(client_id, seq)) WITHOUT ROWID;"
                            "PRAGMA application_id=" + std::to_string(kApplicationId) + ";"
                            "PRAGMA user_version=" + std::to_string(kSchemaVersion) + ";"
                            "COMMIT;";
    if (!exec(sql.c_str())) {
        const std::string why = sqlite3_errmsg(db_);
        exec("ROLLBACK");
        return fail_open("cannot create the tables: " + why, error);
    }
    return true;
}

bool SqliteStore::prepare(std::string& error) {
    const std::pair<const char*, sqlite3_stmt**> stmts[] = {
        {"INSERT OR REPLACE INTO sessions(client_id, data) VALUES(?1, ?2)", &put_session_},
        {"DELETE FROM sessions WHERE client_id = ?1", &del_session_},
        {"INSERT OR REPLACE INTO retained(topic, data) VALUES(?1, ?2)", &put_retained_},
        {"DELETE FROM retained WHERE topic = ?1", &del_retained_},
        {"INSERT OR REPLACE INTO queue(client_id, seq, data) VALUES(?1, ?3, ?2)", &put_queued_},
        {"DELETE FROM queue WHERE client_id = ?1 AND seq < ?3", &del_queued_below_},
        {"DELETE FROM queue WHERE client_id = ?1", &del_queued_all_},
    };
    for (const auto& [sql, out] : stmts) {
        if (sqlite3_prepare_v2(db_, sql, -1, out, nullptr) != SQLITE_OK) {
            return fail_open(std::string("unexpected schema: ") + sqlite3_errmsg(db_) + move_aside(path_), error);
        }
    }
    return true;
}

bool SqliteStore::load(Millis now, std::string& error) {
    const Clocks clk{now, wall_()};
    return load_sessions(clk, error) && load_queues(clk, error) && load_retained(clk, error);
}

bool SqliteStore::load_sessions(const Clocks& clk, std::string& error) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, "SELECT client_id, data FROM sessions", -1, &st, nullptr) != SQLITE_OK) {
        return fail_open(std::string("cannot read sessions: ") + sqlite3_errmsg(db_) + move_aside(path_), error);
    }
    int rc = SQLITE_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const auto* id = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
        const std::string client_id(id != nullptr ? id : "", static_cast<std::size_t>(sqlite3_column_bytes(st, 0)));
        const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(st, 1));
        const auto size = static_cast<std::size_t>(sqlite3_column_bytes(st, 1));
        Session& s = sessions_->mem_.create(client_id);
        bool online = false;
        if (!decode_session(data, size, clk, s, online)) {
            sqlite3_finalize(st);
            return fail_open("the record of session '" + client_id + "' is damaged" + move_aside(path_), error);
        }
        sessions_->stored_.insert(client_id);
        if (online) were_online_.push_back(client_id);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        return fail_open(std::string("cannot read sessions: ") + sqlite3_errmsg(db_) + move_aside(path_), error);
    }
    return true;
}

bool SqliteStore::load_queues(const Clocks& clk, std::string& error) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, "SELECT client_id, seq, data FROM queue ORDER BY client_id, seq", -1, &st,
                           nullptr) != SQLITE_OK) {
        return fail_open(std::string("cannot read queues: ") + sqlite3_errmsg(db_) + move_aside(path_), error);
    }
    int rc = SQLITE_OK;
    std::string client_id;
    Session* s = nullptr;
    QueueRows* q = nullptr;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const auto* id = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
        const std::size_t id_len = static_cast<std::size_t>(sqlite3_column_bytes(st, 0));
        if (s == nullptr || client_id.compare(0, std::string::npos, id != nullptr ? id : "", id_len) != 0) {
            client_id.assign(id != nullptr ? id : "", id_len);
            s = sessions_->mem_.find(client_id);
            q = &sessions_->queues_[client_id];
        }
        const auto seq = static_cast<std::uint64_t>(sqlite3_column_int64(st, 1));
        const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(st, 2));
        const auto size = static_cast<std::size_t>(sqlite3_column_bytes(st, 2));
        detail::Delivery d;
        if (s == nullptr || seq == 0 || !decode_delivery(data, size, clk, d)) {
            sqlite3_finalize(st);
            return fail_open("a queued message of session '" + client_id + "' is damaged" + move_aside(path_),
                             error);
        }
        d.store_seq = seq;
        s->queued_bytes += d.msg->payload.size() + d.msg->topic.size();  // as the engine counts it
        s->queue.push_back(std::move(d));
        if (q->last < q->first) q->first = seq;
        q->last = seq;
        q->next = seq + 1;
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        return fail_open(std::string("cannot read queues: ") + sqlite3_errmsg(db_) + move_aside(path_), error);
    }
    return true;
}

bool SqliteStore::load_retained(const Clocks& clk, std::string& error) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db_, "SELECT topic, data FROM retained", -1, &st, nullptr) != SQLITE_OK) {
        return fail_open(std::string("cannot read retained messages: ") + sqlite3_errmsg(db_) + move_aside(path_),
                         error);
    }
    int rc = SQLITE_OK;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(st, 1));
        const auto size = static_cast<std::size_t>(sqlite3_column_bytes(st, 1));
        MessagePtr m;
        if (!decode_message(data, size, clk, m)) {
            const auto* t = reinterpret_cast<const char*>(sqlite3_column_text(st, 0));
            const std::string topic = t != nullptr ? t : "";
            sqlite3_finalize(st);
            return fail_open("the retained message of topic '" + topic + "' is damaged" + move_aside(path_), error);
        }
        std::string topic(m->topic);
        retained_->mem_.set(topic, std::move(m));
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        return fail_open(std::string("cannot read retained messages: ") + sqlite3_errmsg(db_) + move_aside(path_),
                         error);
    }
    return true;
}

bool SqliteStore::dirty() const {
    return !sessions_->dirty_.empty() || !sessions_->erased_.empty() || !retained_->dirty_.empty();
}

namespace {

// Binds ?1 = key, ?2 = blob (if any), ?3 = seq (if non-zero) and runs `st`.
bool run(sqlite3_stmt* st, std::string_view key, const std::vector<std::uint8_t>* blob, std::uint64_t seq = 0) {
    sqlite3_reset(st);
    sqlite3_bind_text(st, 1, key.data(), static_cast<int>(key.size()), SQLITE_STATIC);
    if (blob != nullptr) sqlite3_bind_blob(st, 2, blob->data(), static_cast<int>(blob->size()), SQLITE_STATIC);
    if (seq != 0) sqlite3_bind_int64(st, 3, static_cast<sqlite3_int64>(seq));
    const int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE;
}

}  // namespace

bool SqliteStore::write_queue(Session& s, const Clocks& clk) {
    QueueRows& q = sessions_->queues_[s.client_id];
    // Deliveries with a row come first (new ones are appended at the back), in
    // increasing seq. Popped ones leave from the front: one range delete. A drop
    // from the middle (the queue's drop policy) leaves a gap: rewrite them all.
    std::size_t k = 0;
    while (k < s.queue.size() && s.queue[k].store_seq != 0) ++k;
    const bool contiguous = !q.unknown && k != 0 && s.queue[k - 1].store_seq == q.last &&
                            q.last - s.queue[0].store_seq + 1 == k;
    if (contiguous) {
        const std::uint64_t front = s.queue[0].store_seq;
        if (q.first < front && !run(del_queued_below_, s.client_id, nullptr, front)) return false;
        q.first = front;
    } else {
        if (q.any() && !run(del_queued_all_, s.client_id, nullptr)) return false;
        for (std::size_t i = 0; i < k; ++i) s.queue[i].store_seq = 0;
        k = 0;
        q.none();
    }
    for (std::size_t i = k; i < s.queue.size(); ++i) {
        detail::Delivery& d = s.queue[i];
        d.store_seq = q.next++;
        encode_delivery(d, clk, buf_);
        if (!run(put_queued_, s.client_id, &buf_, d.store_seq)) return false;
        q.last = d.store_seq;
    }
    return true;
}

bool SqliteStore::write_changes(const Clocks& clk, CommitResult& r) {
    Sessions& ss = *sessions_;
    for (const std::string& id : ss.erased_) {
        if (!run(del_session_, id, nullptr) || !run(del_queued_all_, id, nullptr)) return false;
        ss.queues_.erase(id);
    }
    for (const std::string& id : ss.dirty_) {
        Session* s = ss.mem_.find(id);
        if (s == nullptr || s->expiry_s == 0) {
            // A session that ends with its connection (Clean Session, expiry 0) is
            // never restored: not written, and older rows are removed.
            auto q = ss.queues_.find(id);
            if (ss.stored_.count(id) != 0 && !run(del_session_, id, nullptr)) return false;
            if (q != ss.queues_.end() && q->second.any()) {
                if (!run(del_queued_all_, id, nullptr)) return false;
                q->second.none();
            }
            continue;
        }
        encode_session(*s, clk, buf_);
        if (!run(put_session_, id, &buf_) || !write_queue(*s, clk)) return false;
        ++r.sessions_written;
    }
    for (const auto& [topic, set] : retained_->dirty_) {
        MessagePtr m = set ? retained_->mem_.find(topic) : nullptr;
        if (m) {
            encode_message(*m, clk, buf_);
            if (!run(put_retained_, topic, &buf_)) return false;
        } else if (!run(del_retained_, topic, nullptr)) {
            return false;
        }
        ++r.retained_written;
    }
    return true;
}

void SqliteStore::forget_queue_rows() {
    // After a rollback the rows of the dirty sessions are as before the commit, but
    // the bookkeeping above may have moved on: the next commit rewrites them.
    Sessions& ss = *sessions_;
    for (const std::string& id : ss.dirty_) {
        auto q = ss.queues_.find(id);
        if (q != ss.queues_.end()) q->second.unknown = true;
        if (Session* s = ss.mem_.find(id)) {
            for (std::size_t i = 0; i < s->queue.size(); ++i) s->queue[i].store_seq = 0;
            if (q == ss.queues_.end()) ss.queues_[id].unknown = true;
        }
    }
}

CommitResult SqliteStore::commit(Millis now) {
    CommitResult r;
    if (db_ == nullptr || !dirty()) return r;
    const Clocks clk{now, wall_()};
    const bool ok = exec("BEGIN IMMEDIATE") && write_changes(clk, r) && exec("COMMIT");
    if (!ok) {
        const int code = sqlite3_errcode(db_);
        r.ok = false;
        r.error = sqlite3_errmsg(db_);
        r.failure = (code & 0xFF) == SQLITE_FULL ? mqtt::Reason::QuotaExceeded : mqtt::Reason::UnspecifiedError;
        exec("ROLLBACK");  // everything stays pending for the next commit
        forget_queue_rows();
        return r;
    }
    Sessions& ss = *sessions_;
    for (const std::string& id : ss.erased_) ss.stored_.erase(id);
    for (const std::string& id : ss.dirty_) {
        const Session* s = ss.mem_.find(id);
        if (s == nullptr || s->expiry_s == 0) {
            ss.stored_.erase(id);
        } else {
            ss.stored_.insert(id);
        }
    }
    ss.erased_.clear();
    ss.dirty_.clear();
    retained_->dirty_.clear();
    r.wrote = true;
    return r;
}

}  // namespace mote::broker::store
