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
        var idValue: BSONValue?
        var opValue: BSONValue?
        var argsValue: BSONValue?
        var deadlineValue: BSONValue?
        // The known fields seen so far, one bit each (no per-request set): a
        // second occurrence of one is a duplicate; any other key is unknown
        // (and a repeated unknown key was already reported at its first one).
        var seen: UInt8 = 0
        var problem: String?
        for (key, value) in document.elements {
            let bit: UInt8
            switch key {
            case "id": bit = 1
            case "op": bit = 2
            case "args": bit = 4
            case "deadline_ms": bit = 8
            default:
                problem = problem ?? "unknown envelope field '\(key)' (allowed: id, op, args, deadline_ms)"
                continue
            }
            guard seen & bit == 0 else {
                problem = problem ?? "duplicate envelope field '\(key)'"
                continue
            }
            seen |= bit
            switch bit {
            case 1: idValue = value
            case 2: opValue = value
            case 4: argsValue = value
            default: deadlineValue = value
            }
        }

        guard let idValue else {
            return .failure(RequestRejection(id: nil, error: WireError(.badRequest, "envelope has no 'id'")))
        }
        guard let id = RequestID(idValue) else {
            return .failure(RequestRejection(id: nil, error: WireError(.badRequest, "'id' must be an int32, int64 or string, got \(idValue.typeName)")))
        }
        if case .string(let s) = id, s.utf8.count > RequestID.maxStringBytes {
            return .failure(RequestRejection(id: nil, error: WireError(.badRequest, "'id' string longer than \(RequestID.maxStringBytes) bytes")))
        }
        func reject(_ message: String) -> Result<Request, RequestRejection> {
            .failure(RequestRejection(id: id, error: WireError(.badRequest, message)))
        }
        if let problem { return reject(problem) }
        guard let opValue else { return reject("envelope has no 'op'") }
        guard case .string(let op) = opValue else { return reject("'op' must be a string, got \(opValue.typeName)") }
        guard !op.isEmpty, op.utf8.count <= maxOpBytes else { return reject("'op' must be 1 to \(maxOpBytes) bytes") }

        var args = BSONDocument()
        if let argsValue {
            guard case .document(let doc) = argsValue else { return reject("'args' must be a document, got \(argsValue.typeName)") }
            args = doc
        }
        var deadline: Int64?
        if let deadlineValue {
            guard let ms = deadlineValue.integerValue else {
                return reject("'deadline_ms' must be an int32 or int64, got \(deadlineValue.typeName)")
            }
            guard ms >= 1, ms <= maxDeadlineMilliseconds else {
                return reject("'deadline_ms' must be between 1 and \(maxDeadlineMilliseconds)")
            }
            deadline = ms
        }
        return .success(Request(id: id, op: op, args: args, deadlineMilliseconds: deadline))
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
