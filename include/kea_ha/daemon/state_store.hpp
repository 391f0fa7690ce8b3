#pragma once
// The state directory (SPEC §10): registered servers, the last known topology of each
// cluster, replication bookkeeping, recent events. Every write is atomic (temporary file,
// fsync, rename, fsync of the directory); a corrupt or unreadable file is reported and set
// aside (renamed *.corrupt-<UTC time>), never silently dropped.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "kea_ha/core/result.hpp"

namespace kea_ha::daemon {

/// One cluster's persistent record. `document` is owned by the caller (registration,
/// topology, bookkeeping, events); the store only keeps it safe.
struct StoredCluster {
    std::string name;
    nlohmann::json document;
};

/// A problem met while loading (a corrupt file set aside, …), for the log.
struct StoreProblem {
    std::string file;
    std::string message;
};

/// The append-only records of a cluster (issue 13): one JSON object per line, a line added per
/// record, so that a change or an event costs one short append and the cluster's document
/// stays small. events/<name>.jsonl (the recent events) and history/<name>.jsonl (the changes).
enum class Journal { Events, History };

/// What load_journal() found: the last `keep` valid lines, and how many valid lines the file
/// holds (what the appender counts on to know when to compact).
struct JournalLines {
    std::vector<std::string> lines;
    std::size_t in_file = 0;
};

class StateStore {
public:
    /// Uses `directory` (created with mode 0750 if missing). Fails if it cannot be created or written.
    static core::Result<StateStore> open(const std::string& directory);

    /// Every cluster file (clusters/<name>.json). Corrupt ones are set aside and reported.
    std::vector<StoredCluster> load_all(std::vector<StoreProblem>& problems) const;

    /// Atomically replaces clusters/<name>.json.
    core::Status save(const StoredCluster& cluster) const;
    /// The same with the document already serialised (`text` must be a JSON object).
    core::Status save_text(const std::string& name, const std::string& text) const;

    /// History (issue 14 item 4): history/<name>/<generation>.json, the SoT config a change set.
    core::Status save_history_config(const std::string& name, std::uint64_t generation, const std::string& text) const;
    /// NotFound when that generation's config is not kept.
    core::Result<std::string> load_history_config(const std::string& name, std::uint64_t generation) const;
    /// Removes the kept configs of generations below `first_kept`.
    void prune_history(const std::string& name, std::uint64_t first_kept) const;

    /// Appends `lines` (each a JSON object's text without a line ending) to the cluster's
    /// journal, then fdatasync. The file is created (mode 0640) when missing.
    core::Status append_journal(const std::string& name, Journal journal, const std::vector<std::string>& lines) const;
    /// Atomically replaces the journal with `lines` (compaction, and the move of records kept
    /// in the document by earlier versions).
    core::Status replace_journal(const std::string& name, Journal journal, const std::vector<std::string>& lines) const;
    /// The journal's last `keep` lines that are JSON objects, oldest first; none when it is
    /// missing. A line that is not one (a torn last append at a crash, damage) is reported in
    /// `problems`: the file is set aside (*.corrupt-<UTC time>) and rewritten with the valid lines.
    JournalLines load_journal(const std::string& name, Journal journal, std::size_t keep,
                              std::vector<StoreProblem>& problems) const;
    /// Whether history/<name>/<generation>.json is on disk.
    bool has_history_config(const std::string& name, std::uint64_t generation) const;

    /// Removes clusters/<name>.json, its journals and its history (missing is fine).
    core::Status remove(const std::string& name) const;

    const std::string& directory() const { return directory_; }

private:
    std::string journal_path(const std::string& name, Journal journal) const;
    explicit StateStore(std::string directory) : directory_(std::move(directory)) {}
    std::string directory_;
};

/// Atomic write of `contents` to `path`: temp file in the same dir, fsync, rename, fsync dir.
core::Status write_file_atomically(const std::string& path, const std::string& contents);

}  // namespace kea_ha::daemon
