import BSONCore

/// The `hello` result: who the server is, its limits and its operations.
public struct ServerHello: Sendable, Equatable {
    /// The protocol version; this client speaks 1.
    public var protocolVersion: Int
    /// `"deltastored"`.
    public var server: String
    /// The server's release, for people and logs.
    public var version: String
    /// `"sqlite"` or `"mongodb"`.
    public var store: String
    public var limits: ServerLimits
    /// Every operation the server answers.
    public var operations: [String]

    init(_ document: BSONDocument) throws {
        let reader = ResultReader(document, op: "hello")
        protocolVersion = try reader.int("protocol")
        server = try reader.string("server")
        version = try reader.string("version")
        store = try reader.string("store")
        limits = try ServerLimits(try reader.reader("limits"))
        operations = try reader.strings("ops")
    }
}

/// The limits `hello` reports (§12 of the protocol).
public struct ServerLimits: Sendable, Equatable {
    /// The largest frame in either direction.
    public var maxMessageBytes: Int
    /// The most items one insert takes.
    public var maxBatch: Int
    /// The largest page (`limit`) a query returns.
    public var maxPage: Int
    /// Requests of one connection that run at once; more wait.
    public var maxInFlight: Int

    init(_ reader: ResultReader) throws {
        maxMessageBytes = try reader.int("max_message_bytes")
        maxBatch = try reader.int("max_batch")
        maxPage = try reader.int("max_page")
        maxInFlight = try reader.int("max_in_flight")
    }
}
