import BSONCore
import NIOCore
import WireProtocol

/// The client library for deltastored: async/await, a small pool of
/// connections each multiplexing requests by id, a typed method for every
/// operation, per-call deadlines, and reconnection after the daemon restarts.
///
/// ```swift
/// let client = DeltaStoreClient(socketPath: "/run/deltastore/deltastore.sock")
/// let page = try await client.ticks(product: "NIFTY", limit: 10)
/// for tick in page.ticks { print(tick) }
/// await client.close()
/// ```
///
/// Errors are `DeltaStoreError`: switch on `code` (the protocol's
/// `ErrorCode`). Reconnection: a call that finds its connection closed opens a
/// new one (once) before sending; calls that were waiting on a connection when
/// it died fail with `DeltaStoreError.connection` — their outcome is unknown,
/// and only idempotent ones (every query, inserts of records with idempotency
/// keys) should be retried.
///
/// Deadlines: each call sends `deadline_ms` (its `deadline` argument, else
/// the configuration's `defaultDeadline`) and waits at most that plus
/// `timeoutGrace` for the reply; then it fails with `.timedOut`.
public final class DeltaStoreClient: Sendable {
    public let configuration: DeltaStoreClientConfiguration
    private let pool: ConnectionPool

    public init(configuration: DeltaStoreClientConfiguration) {
        self.configuration = configuration
        self.pool = ConnectionPool(configuration: configuration)
    }

    /// A client of the daemon at `socketPath` with the default configuration.
    public convenience init(socketPath: String = DeltaStoreClientConfiguration.defaultSocketPath()) {
        self.init(configuration: DeltaStoreClientConfiguration(socketPath: socketPath))
    }

    /// Closes the pool's connections; calls still waiting fail with a
    /// connection error, and later calls fail at once.
    public func close() async {
        await pool.close()
    }

    /// The `hello` of a live pooled connection (connecting if none is open):
    /// the server's version, limits and operations.
    public func serverHello() async throws -> ServerHello {
        if let hello = await pool.latestHello() { return hello }
        let timeout = configuration.defaultDeadline.map { TimeAmount.milliseconds(($0 + configuration.timeoutGrace).roundedUpMilliseconds) }
        return try await pool.connection(timeout: timeout).hello
    }

    /// Calls any operation by name and returns its `result` document: for
    /// operations this client has no method for, or arguments it does not name.
    public func call(_ op: String, _ args: BSONDocument = BSONDocument(), deadline: Duration? = nil) async throws -> BSONDocument {
        try DeltaStoreConnection.result(of: try await send(op, args, deadline: deadline))
    }

    /// Like `call`, but returns the reply itself, success or failure.
    public func send(_ op: String, _ args: BSONDocument = BSONDocument(), deadline: Duration? = nil) async throws -> Reply {
        let budget = deadline ?? configuration.defaultDeadline
        let deadlineMilliseconds = budget.map { min(max($0.roundedUpMilliseconds, 1), Request.maxDeadlineMilliseconds) }
        let timeout = budget.map { TimeAmount.milliseconds(($0 + configuration.timeoutGrace).roundedUpMilliseconds) }
        let pooled = try await pool.connection(timeout: timeout)
        do {
            return try await pooled.connection.submit(op: op, args: args, deadlineMilliseconds: deadlineMilliseconds, timeout: timeout)
        } catch is RequestNotSent {
            // The connection died before the request was written: reconnect once.
            let fresh = try await pool.replacing(pooled, timeout: timeout)
            do {
                return try await fresh.connection.submit(op: op, args: args, deadlineMilliseconds: deadlineMilliseconds, timeout: timeout)
            } catch let notSent as RequestNotSent {
                throw notSent.reason
            }
        }
    }
}
