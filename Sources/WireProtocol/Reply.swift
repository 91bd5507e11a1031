import BSONCore

/// A reply envelope: `{id, ok: true, result}` or `{id, ok: false, error}`.
///
/// Built by the server, parsed by clients; both directions live here so that
/// the two can never disagree about the shape.
public enum Reply: Sendable, Equatable {
    case success(id: RequestID, result: BSONDocument)
    /// `id` is absent only when the request's id could not be read (BAD_FRAME,
    /// or a BAD_REQUEST about the id itself).
    case failure(id: RequestID?, error: WireError)

    public var id: RequestID? {
        switch self {
        case .success(let id, _): return id
        case .failure(let id, _): return id
        }
    }

    public var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }

    public var document: BSONDocument {
        switch self {
        case .success(let id, let result):
            return BSONDocument([("id", id.bsonValue), ("ok", .bool(true)), ("result", .document(result))])
        case .failure(let id, let error):
            var pairs: [(String, BSONValue)] = []
            if let id { pairs.append(("id", id.bsonValue)) }
            pairs.append(("ok", .bool(false)))
            pairs.append(("error", .document(error.document)))
            return BSONDocument(pairs)
        }
    }

    /// Reads a reply document; `nil` when it is not a reply envelope (a client
    /// treats that as a broken server and closes the connection).
    public init?(_ document: BSONDocument) {
        let id = document["id"].flatMap(RequestID.init)
        guard case .bool(let ok) = document["ok"] else { return nil }
        if ok {
            guard let id, case .document(let result) = document["result"] else { return nil }
            self = .success(id: id, result: result)
            return
        }
        guard case .document(let error) = document["error"],
              let codeText = error["code"]?.stringValue,
              let message = error["message"]?.stringValue
        else { return nil }
        // An unknown code from a newer server is reported as INTERNAL with its text kept.
        let code = ErrorCode(rawValue: codeText) ?? .internalError
        let text = ErrorCode(rawValue: codeText) == nil ? "\(codeText): \(message)" : message
        self = .failure(id: id, error: WireError(code, text, details: error["details"]?.documentValue))
    }
}
