import CBSON

extension BSONDocument {
    /// The nesting depth accepted by default: MongoDB's own limit is 100 levels
    /// of documents and arrays, so nothing deeper could be stored anyway.
    public static let defaultMaxDepth = 100

    /// Validates `bytes` and wraps them.
    ///
    /// Checks, in order: the length prefix equals the byte count and the last
    /// byte is the terminator; every element is well-formed and nesting stays
    /// within `maxDepth` (walked with libbson's iterator, depth-first, so
    /// libbson's own recursive validator never sees a deeper document); then
    /// `bson_validate` for valid UTF-8 in keys and strings (no embedded NUL).
    public init(validating bytes: [UInt8], maxDepth: Int = BSONDocument.defaultMaxDepth) throws(BSONError) {
        try Self.validate(bytes, maxDepth: maxDepth)
        self.init(trustedBytes: bytes)
    }

    static func validate(_ bytes: [UInt8], maxDepth: Int) throws(BSONError) {
        guard bytes.count >= 5 else {
            throw .invalidDocument("a document is at least 5 bytes, got \(bytes.count)")
        }
        let declared = Int(Int32(bitPattern: UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24))
        guard declared == bytes.count else {
            throw .invalidDocument("length prefix says \(declared) bytes, document has \(bytes.count)")
        }
        guard bytes[bytes.count - 1] == 0 else {
            throw .invalidDocument("document does not end with a zero byte")
        }
        let structural: BSONError? = bytes.withUnsafeBufferPointer { buffer in
            let iter = LibBSONIterator()
            guard iter.start(buffer) else {
                return .invalidDocument("malformed document header")
            }
            return walk(iter, depth: 1, maxDepth: maxDepth)
        }
        if let structural { throw structural }

        let utf8Error: String? = BSONBuilder.withTemporary(bytes) { handle -> String? in
            var error = bson_error_t()
            let flags = BSON_VALIDATE_UTF8.rawValue
            if bson_validate_with_error(handle, bson_validate_flags_t(flags), &error) { return nil }
            return Self.message(of: &error)
        } ?? "libbson could not read the document"
        if let utf8Error { throw .invalidDocument(utf8Error) }
    }

    /// Walks every element; returns the first problem found.
    private static func walk(_ iter: borrowing LibBSONIterator, depth: Int, maxDepth: Int) -> BSONError? {
        while iter.next() {
            let type = iter.type
            if type == BSON_TYPE_DOCUMENT || type == BSON_TYPE_ARRAY {
                guard depth < maxDepth else { return .tooDeep(limit: maxDepth) }
                let child = LibBSONIterator()
                guard iter.recurse(into: child) else {
                    return .invalidDocument("malformed embedded document at offset \(iter.offset)")
                }
                if let problem = walk(child, depth: depth + 1, maxDepth: maxDepth) { return problem }
            } else if type == BSON_TYPE_CODEWSCOPE {
                guard depth < maxDepth else { return .tooDeep(limit: maxDepth) }
                var length: UInt32 = 0
                var scopeLength: UInt32 = 0
                var scope: UnsafePointer<UInt8>?
                _ = bson_iter_codewscope(iter.pointer, &length, &scopeLength, &scope)
                let child = LibBSONIterator()
                guard let scope, child.start(scope, count: Int(scopeLength)) else {
                    return .invalidDocument("malformed code-with-scope at offset \(iter.offset)")
                }
                if let problem = walk(child, depth: depth + 1, maxDepth: maxDepth) { return problem }
            }
        }
        if iter.errorOffset != 0 {
            return .invalidDocument("corrupt element at offset \(iter.errorOffset)")
        }
        return nil
    }

    static func message(of error: inout bson_error_t) -> String {
        withUnsafeBytes(of: &error.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
