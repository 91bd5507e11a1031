import Domain
import Logging
import NIOCore

/// One pass of the retention: for each collection with a retention, deletes
/// the records older than now − duration, batch by batch, then gives freed
/// space back; logs what it deleted.
///
/// It exists so that a purge of any size never holds the store's write lock
/// for more than a few milliseconds at a time: a batch's size adapts so that
/// one batch takes about `targetBatchTime` (halved when a batch takes longer,
/// doubled when it takes less than half); after each batch what it wrote is
/// checkpointed off the write lock (`LifecycleStore.checkpoint`), and the
/// purge pauses as long as the batch took, so the requests' writes get at
/// least half of the store's time while a large backlog is purged.
public struct RetentionPurger: Sendable {
    public let store: any LifecycleStore
    public let policy: RetentionPolicy
    public let logger: Logger
    /// Milliseconds since the epoch (the wall clock; tests may move it).
    public let now: @Sendable () -> Int64

    public static let targetBatchTime: TimeAmount = .milliseconds(2)
    public static let batchSizes: ClosedRange<Int> = 50...5000
    public static let firstBatchSize = 500
    /// Pages (SQLite) given back per write, and writes per pass at most.
    public static let reclaimPages = 256
    public static let maxReclaimSteps = 4096

    public init(store: any LifecycleStore, policy: RetentionPolicy, logger: Logger, now: @escaping @Sendable () -> Int64 = BackupName.nowMilliseconds) {
        self.store = store
        self.policy = policy
        self.logger = logger
        self.now = now
    }

    /// What one pass did.
    public struct Outcome: Sendable, Equatable {
        public var deleted: [RecordCollection: Int] = [:]
        /// Collections whose purge stopped on an error (logged).
        public var failed: [RecordCollection] = []
    }

    /// Runs one pass; never throws (a failing store is logged and retried at
    /// the next pass). Stops early when the task is cancelled (shutdown).
    @discardableResult
    public func runOnce() async -> Outcome {
        var outcome = Outcome()
        guard !policy.isEmpty else { return outcome }
        let started = NIODeadline.now()
        let at = now()
        for collection in policy.collections {
            guard let cutoff = policy.cutoff(for: collection, now: at) else { continue }
            do {
                outcome.deleted[collection] = try await purge(collection, before: cutoff)
            } catch {
                outcome.failed.append(collection)
                logger.warning(
                    "retention purge of \(collection.rawValue) failed: \(error); retrying at the next pass",
                    metadata: ["collection": "\(collection.rawValue)", "error": "\(error)"]
                )
            }
        }
        var reclaimed = true
        do {
            var steps = 0
            while steps < Self.maxReclaimSteps, !Task.isCancelled, try await store.reclaimSpace(pages: Self.reclaimPages) {
                steps += 1
                try await store.checkpoint()
                try await Task.sleep(for: .milliseconds(2))
            }
            try await store.checkpoint()
        } catch {
            reclaimed = false
            if !Task.isCancelled {
                logger.warning("returning the space of purged records failed: \(error)", metadata: ["error": "\(error)"])
            }
        }
        let milliseconds = (NIODeadline.now() - started).nanoseconds / 1_000_000
        let counts = policy.collections.map { "\(outcome.deleted[$0].map(String.init) ?? "no") \($0.rawValue)" }.joined(separator: ", ")
        var metadata: Logger.Metadata = ["duration_ms": "\(milliseconds)"]
        for collection in policy.collections {
            metadata["deleted_\(collection.rawValue)"] = "\(outcome.deleted[collection] ?? 0)"
        }
        logger.info("retention purge: deleted \(counts) in \(milliseconds) ms\(reclaimed ? "" : " (space not returned)")", metadata: metadata)
        return outcome
    }

    /// Batches until a batch deletes fewer than it was allowed to.
    func purge(_ collection: RecordCollection, before cutoff: Int64) async throws -> Int {
        var total = 0
        var limit = Self.firstBatchSize
        while !Task.isCancelled {
            let started = NIODeadline.now()
            let deleted = try await store.purge(collection, before: cutoff, limit: limit)
            let took = NIODeadline.now() - started
            total += deleted
            try await store.checkpoint()
            guard deleted >= limit else { break }
            if took > Self.targetBatchTime {
                limit = max(Self.batchSizes.lowerBound, limit / 2)
            } else if took.nanoseconds * 2 < Self.targetBatchTime.nanoseconds {
                limit = min(Self.batchSizes.upperBound, limit * 2)
            }
            // Cancelled (shutdown): the loop ends and what was deleted is still counted.
            try? await Task.sleep(nanoseconds: UInt64(max(1_000_000, took.nanoseconds)))
        }
        return total
    }
}
