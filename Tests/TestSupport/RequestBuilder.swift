import BSONCore

/// Shorthands for request documents in tests.
public enum RequestBuilder {
    public static func request(id: BSONValue, op: String, args: BSONDocument? = nil, deadlineMs: Int64? = nil) -> BSONDocument {
        var pairs: [(String, BSONValue)] = [("id", id), ("op", .string(op))]
        if let args { pairs.append(("args", .document(args))) }
        if let deadlineMs { pairs.append(("deadline_ms", .int64(deadlineMs))) }
        return BSONDocument(pairs)
    }

    public static func ping(id: Int32, delayMs: Int64? = nil) -> BSONDocument {
        request(id: .int32(id), op: "ping", args: delayMs.map { ["delay_ms": .int64($0)] })
    }
}
