/// The part of a store that manages its data's life: deleting old records in
/// batches (retention), saying what it holds, and returning freed space.
///
/// It exists apart from `MarketStore` so that the background purge and
/// `stats` depend on exactly these calls, which both stores implement. Every
/// call runs its blocking work on the store's thread pool.
public protocol LifecycleStore: Sendable {
    /// Deletes at most `limit` records of `collection` whose `timestamp` is
    /// before `cutoff`, oldest first, in one short write (on SQLite: one
    /// transaction). Returns how many it deleted: fewer than `limit` means
    /// none older is left.
    func purge(_ collection: RecordCollection, before cutoff: Int64, limit: Int) async throws -> Int

    /// Gives back at most `pages` units of the space freed by deletions, in
    /// one short write; returns whether any is left to give back. (SQLite:
    /// `PRAGMA incremental_vacuum` on a store made with incremental
    /// auto-vacuum; false at once elsewhere, where the storage engine reuses
    /// the space itself.)
    func reclaimSpace(pages: Int) async throws -> Bool

    /// Moves what purges wrote from the store's log into its main file
    /// without holding the write lock (SQLite: a passive WAL checkpoint);
    /// nothing elsewhere.
    func checkpoint() async throws

    /// Per-collection counts and time ranges, and the store's size.
    func holdings() async throws -> StoreHoldings
}
