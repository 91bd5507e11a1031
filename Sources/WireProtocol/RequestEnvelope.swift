import BSONCore

/// A request envelope read in place: the fields of `{id, op, args?,
/// deadline_ms?}` from a frame's bytes where they arrived, `args` still a
/// view of those bytes.
///
/// It is the one parser of the envelope rules (PROTOCOL.md §4.2):
/// `Request.parse` builds on it, and the server uses it directly so that the
/// requests it answers inline (`ping`, `hello`, a cached `auth.verify`) are
/// parsed without an allocation. Valid while the frame's bytes are.
public struct RequestEnvelope {
    /// The `id` element as it is in the frame (an int32, an int64 or a
    /// string of at most `RequestID.maxStringBytes` bytes, checked): a reply
    /// copies it as it is (`Reply.writeSuccess(idElement:into:result:)`).
    public var idElement: BSONElementView
    /// The UTF-8 bytes of `op` (1 to `Request.maxOpBytes`, checked).
    public var opBytes: UnsafeRawBufferPointer
    /// The `args` document, absent when the request has none.
    public var args: BSONDocumentView?
    public var deadlineMilliseconds: Int64?

    /// The `id` as a value (a string id is copied out of the frame).
    public var id: RequestID { Self.requestID(idElement) }

    /// `op` as a `String` (no allocation for up to 15 bytes).
    public var op: String { String(decoding: opBytes, as: UTF8.self) }

    /// The value of an `id` element that passed `parse`.
    public static func requestID(_ element: BSONElementView) -> RequestID {
        if let value = element.int32Value { return .int32(value) }
        if let value = element.int64Value { return .int64(value) }
        return .string(element.utf8Bytes.map { String(decoding: $0, as: UTF8.self) } ?? "")
    }

    /// The owned request (arguments copied).
    public var request: Request {
        Request(id: id, op: op, args: args.map(BSONDocument.init(copying:)) ?? BSONDocument(), deadlineMilliseconds: deadlineMilliseconds)
    }

    /// Applies the envelope rules to a validated frame. `firstEmbeddedNUL` is
    /// where validation found the first NUL inside a string, if it did: in
    /// the `id` that is a BAD_REQUEST without `id`; in `op` a BAD_REQUEST, in
    /// `args` an INVALID_ARGUMENT naming the field (after every other
    /// envelope rule, before the operation is looked up).
    public static func parse(_ frame: BSONDocumentView, firstEmbeddedNUL: [String]? = nil) -> Result<RequestEnvelope, RequestRejection> {
        var idElement: BSONElementView?
        var opElement: BSONElementView?
        var argsElement: BSONElementView?
        var deadlineElement: BSONElementView?
        // The known fields seen so far, one bit each: a second occurrence of
        // one is a duplicate; any other key is unknown (a repeated unknown
        // key was already reported at its first occurrence).
        var seen: UInt8 = 0
        var problemKey: BSONElementView?
        var problemIsDuplicate = false
        frame.forEachElement { element in
            let bit: UInt8
            if element.keyEquals("id") {
                bit = 1
            } else if element.keyEquals("op") {
                bit = 2
            } else if element.keyEquals("args") {
                bit = 4
            } else if element.keyEquals("deadline_ms") {
                bit = 8
            } else {
                if problemKey == nil { problemKey = element }
                return true
            }
            guard seen & bit == 0 else {
                if problemKey == nil {
                    problemKey = element
                    problemIsDuplicate = true
                }
                return true
            }
            seen |= bit
            switch bit {
            case 1: idElement = element
            case 2: opElement = element
            case 4: argsElement = element
            default: deadlineElement = element
            }
            return true
        }

        guard let idElement else {
            return .failure(RequestRejection(id: nil, error: WireError(.badRequest, "envelope has no 'id'")))
        }
        if firstEmbeddedNUL != nil, let text = idElement.utf8Bytes, text.contains(0) {
            return .failure(RequestRejection(id: nil, error: WireError(.badRequest, "'id' string contains a NUL byte")))
        }
        if let text = idElement.utf8Bytes {
            guard text.count <= RequestID.maxStringBytes else {
                return .failure(RequestRejection(id: nil, error: WireError(.badRequest, "'id' string longer than \(RequestID.maxStringBytes) bytes")))
            }
        } else if idElement.integerValue == nil {
            return .failure(RequestRejection(id: nil, error: WireError(.badRequest, "'id' must be an int32, int64 or string, got \(idElement.typeName)")))
        }
        // Made only for a rejection: an accepted request keeps its id in the frame.
        var id: RequestID { requestID(idElement) }
        func reject(_ message: String) -> Result<RequestEnvelope, RequestRejection> {
            .failure(RequestRejection(id: id, error: WireError(.badRequest, message)))
        }
        if let problemKey {
            let key = problemKey.keyString
            return reject(problemIsDuplicate ? "duplicate envelope field '\(key)'" : "unknown envelope field '\(key)' (allowed: id, op, args, deadline_ms)")
        }
        guard let opElement else { return reject("envelope has no 'op'") }
        guard let opBytes = opElement.utf8Bytes else { return reject("'op' must be a string, got \(opElement.typeName)") }
        guard !opBytes.isEmpty, opBytes.count <= Request.maxOpBytes else { return reject("'op' must be 1 to \(Request.maxOpBytes) bytes") }

        var args: BSONDocumentView?
        if let argsElement {
            guard let document = argsElement.documentValue else { return reject("'args' must be a document, got \(argsElement.typeName)") }
            args = document
        }
        var deadline: Int64?
        if let deadlineElement {
            guard let ms = deadlineElement.integerValue else {
                return reject("'deadline_ms' must be an int32 or int64, got \(deadlineElement.typeName)")
            }
            guard ms >= 1, ms <= Request.maxDeadlineMilliseconds else {
                return reject("'deadline_ms' must be between 1 and \(Request.maxDeadlineMilliseconds)")
            }
            deadline = ms
        }
        if let path = firstEmbeddedNUL {
            switch path.first {
            case "op":
                return reject("'op' contains a NUL byte")
            case "args":
                let field = path.dropFirst().joined(separator: ".")
                return .failure(RequestRejection(id: id, error: .invalidArgument(field: field, reason: Request.nulReason)))
            default:
                // Not reachable: the envelope has no other string field, and an
                // unknown field was refused above. Refused all the same.
                return reject("the envelope contains a NUL byte")
            }
        }
        return .success(RequestEnvelope(idElement: idElement, opBytes: opBytes, args: args, deadlineMilliseconds: deadline))
    }
}
