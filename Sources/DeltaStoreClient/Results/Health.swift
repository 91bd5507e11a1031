import BSONCore

/// The result of `health`: whether the daemon's store answers.
public struct Health: Sendable, Equatable {
    /// `"ok"`, `"degraded"` (the store does not answer now) or `"failed"`
    /// (the store cannot be used until the daemon is restarted).
    public var status: String
    /// The store's kind (`"sqlite"`, `"mongodb"`).
    public var storeKind: String
    /// Whether the store answered.
    public var storeOK: Bool
    /// The store's failure, when it did not answer.
    public var storeError: String?
    /// For a failed store: which file, and what happened to it.
    public var storeReason: String?
    /// Whole seconds since the daemon started.
    public var uptimeSeconds: Int64

    /// True when the status is `"ok"`.
    public var isOK: Bool { status == "ok" }

    init(_ document: BSONDocument) throws {
        let reader = ResultReader(document, op: "health")
        status = try reader.string("status")
        let store = try reader.reader("store")
        storeKind = try store.string("kind")
        storeOK = try store.bool("ok")
        storeError = try store.optionalString("error")
        storeReason = try store.optionalString("reason")
        uptimeSeconds = try reader.integer("uptime_s")
    }
}
