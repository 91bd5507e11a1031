import BSONCore

/// A request envelope that passed validation: `{id, op, args?, deadline_ms?}`.
///
/// Parsing is separate from any socket so that every envelope rule can be tested
/// on documents alone, and so the server and the fuzz target share one parser.
public struct Request: Sendable {
    public var id: RequestID
    public var op: String
    public var args: BSONDocument
    /// The time budget the client gave, in milliseconds from receipt.
    public var deadlineMilliseconds: Int64?

    public init(id: RequestID, op: String, args: BSONDocument = BSONDocument(), deadlineMilliseconds: Int64? = nil) {
        self.id = id
        self.op = op
        self.args = args
        self.deadlineMilliseconds = deadlineMilliseconds
    }

    /// The envelope's field names, in the order the server writes them.
    public static let fieldNames: Set<String> = ["id", "op", "args", "deadline_ms"]
    /// The longest operation name accepted.
    public static let maxOpBytes = 64
    /// The largest `deadline_ms` accepted (one hour).
    public static let maxDeadlineMilliseconds: Int64 = 3_600_000

    /// Validates `document` as a request envelope.
    ///
    /// On failure the rejection carries the request's `id` when one could be
    /// read, so the client can still match the BAD_REQUEST reply.
    public static func parse(_ document: BSONDocument) -> Result<Request, RequestRejection> {
        document.withView { view in RequestEnvelope.parse(view).map(\.request) }
    }

    /// The envelope as a document, as a client sends it.
    public var document: BSONDocument {
        var pairs: [(String, BSONValue)] = [("id", id.bsonValue), ("op", .string(op))]
        if !args.isEmpty { pairs.append(("args", .document(args))) }
        if let deadlineMilliseconds { pairs.append(("deadline_ms", .int64(deadlineMilliseconds))) }
        return BSONDocument(pairs)
    }
}

/// Why a document was not accepted as a request, and the id to answer it with.
public struct RequestRejection: Error, Sendable, Equatable {
    public var id: RequestID?
    public var error: WireError

    public init(id: RequestID?, error: WireError) {
        self.id = id
        self.error = error
    }
}
