import BSONCore

extension DeltaStoreClient {
    /// `hello` on a pooled connection: the server's versions, limits and operations.
    public func hello(deadline: Duration? = nil) async throws -> ServerHello {
        try ServerHello(try await call("hello", ["client": .string(configuration.clientName)], deadline: deadline))
    }

    /// `ping`: a liveness check; with `delayMilliseconds`, the reply comes that much later.
    public func ping(delayMilliseconds: Int? = nil, deadline: Duration? = nil) async throws {
        var args = ArgumentList()
        args.add("delay_ms", delayMilliseconds)
        let result = try await call("ping", args.document, deadline: deadline)
        guard try ResultReader(result, op: "ping").bool("pong") else {
            throw DeltaStoreError.protocolViolation("ping result: 'pong' is false")
        }
    }

    /// `describe`: the arguments, result and errors of one operation, or of all.
    public func describe(_ op: String? = nil, deadline: Duration? = nil) async throws -> [OperationInfo] {
        var args = ArgumentList()
        args.add("op", op)
        let result = try await call("describe", args.document, deadline: deadline)
        return try ResultReader(result, op: "describe").documents("ops").map(OperationInfo.init)
    }

    /// `health`: whether the store answers (a degraded store is a success).
    public func health(deadline: Duration? = nil) async throws -> Health {
        try Health(try await call("health", deadline: deadline))
    }

    /// `stats`: connections, uptime and per-operation counters.
    public func stats(deadline: Duration? = nil) async throws -> ServerStats {
        try ServerStats(try await call("stats", deadline: deadline))
    }

    /// `backup` (admin, SQLite store): a consistent snapshot of the store
    /// written into the daemon's backup directory as `NAME.db` (default name:
    /// the UTC time). A large store takes a while: give a `deadline` that
    /// allows it, or none (the client's default deadline applies otherwise).
    public func backup(name: String? = nil, deadline: Duration? = nil) async throws -> BackupResult {
        let args: BSONDocument = name.map { ["name": .string($0)] } ?? [:]
        return try BackupResult(try await call("backup", args, deadline: deadline))
    }
}
