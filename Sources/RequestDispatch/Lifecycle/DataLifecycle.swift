import BSONCore
import Domain
import Logging
import NIOConcurrencyHelpers

/// What the daemon knows of its data's life: the store's lifecycle calls, the
/// retention in force, where backups go and the backup running now.
///
/// It exists so that `stats` (the `store` part), the `backup` operation and
/// the background purge share one description of the store: `stats` shows
/// the same retention the purge applies, and the progress of the backup the
/// operation runs.
public final class DataLifecycle: Sendable {
    public let kind: String
    public let store: any LifecycleStore
    /// Nil for a store that cannot back itself up (MongoDB).
    public let backups: (any BackupStore)?
    public let retention: RetentionPolicy
    public let backupDirectory: String
    private let running = NIOLockedValueBox<(name: String, progress: BackupProgress)?>(nil)

    public init(kind: String, store: any LifecycleStore, backups: (any BackupStore)?, retention: RetentionPolicy, backupDirectory: String) {
        self.kind = kind
        self.store = store
        self.backups = backups
        self.retention = retention
        self.backupDirectory = backupDirectory
    }

    /// The running backup's name and progress, if one runs.
    public var runningBackup: (name: String, progress: BackupProgress)? {
        running.withLockedValue { $0 }
    }

    /// Records `name` as the running backup; returns the name of the one
    /// already running instead, if any (then nothing changes).
    func beginBackup(_ name: String) -> String? {
        running.withLockedValue { state in
            if let state { return state.name }
            state = (name, BackupProgress(done: 0, total: 0))
            return nil
        }
    }

    func backupProgressed(_ progress: BackupProgress) {
        running.withLockedValue { state in
            if let name = state?.name { state = (name, progress) }
        }
    }

    func backupEnded() {
        running.withLockedValue { $0 = nil }
    }

    /// `stats`' `store` document:
    /// `{kind, bytes, collections: {ticks|quotes|chains: {count, oldest?, newest?, retain_s?}}, backup?: {name, pages_done, pages_total}}`.
    ///
    /// A store that cannot be read now gives `{kind, error: CODE}` instead of
    /// its holdings, so `stats` still answers during an outage.
    public func statsDocument(logger: Logger) async -> BSONDocument {
        let holdings: StoreHoldings
        do {
            holdings = try await store.holdings()
        } catch {
            let code = Dispatcher.wireError(error, op: "stats", logger: logger).code
            return ["kind": .string(kind), "error": .string(code.rawValue)]
        }
        var collections: [(String, BSONValue)] = []
        for collection in RecordCollection.allCases {
            let held = holdings.collections[collection] ?? CollectionHoldings(count: 0, oldest: nil, newest: nil)
            var fields: [(String, BSONValue)] = [("count", .int64(held.count))]
            if let oldest = held.oldest { fields.append(("oldest", .datetime(oldest))) }
            if let newest = held.newest { fields.append(("newest", .datetime(newest))) }
            if let duration = retention.durations[collection] { fields.append(("retain_s", .int64(duration / 1000))) }
            collections.append((collection.rawValue, .document(BSONDocument(fields))))
        }
        var document: [(String, BSONValue)] = [
            ("kind", .string(kind)),
            ("bytes", .int64(holdings.bytes)),
            ("collections", .document(BSONDocument(collections))),
        ]
        if let (name, progress) = runningBackup {
            document.append(("backup", ["name": .string(name), "pages_done": .int64(progress.done), "pages_total": .int64(progress.total)]))
        }
        return BSONDocument(document)
    }
}

/// Supplies `stats`' `store` document (`DataLifecycle.statsDocument`).
public typealias StoreStatsSource = @Sendable (Logger) async -> BSONDocument
