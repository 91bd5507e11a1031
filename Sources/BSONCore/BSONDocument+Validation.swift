import CBSON

extension BSONDocument {
    /// The nesting depth accepted by default: MongoDB's own limit is 100 levels
    /// of documents and arrays, so nothing deeper could be stored anyway.
    public static let defaultMaxDepth = 100

    /// Validates `bytes` and wraps them.
    ///
    /// Checks, in order: the length prefix equals the byte count and the last
    /// byte is the terminator; every element is well-formed, every key and
    /// string-like value (string, code, symbol, code-with-scope code, dbPointer
    /// collection, regex) is valid UTF-8 without NUL bytes, and nesting stays
    /// within `maxDepth` (walked with libbson's iterator, depth-first, in one
    /// pass). libbson's own `bson_validate` is not run: it checks less than
    /// this walk (see `stringProblem`) and would read every string again.
    public init(validating bytes: [UInt8], maxDepth: Int = BSONDocument.defaultMaxDepth) throws(BSONError) {
        try Self.validate(bytes, maxDepth: maxDepth)
        self.init(trustedBytes: bytes)
    }

    /// Validates `bytes` by the BSON specification's own rule, under which a
    /// NUL byte inside a length-prefixed string-like value (string, code,
    /// symbol, code-with-scope code, DBPointer collection) is legal — the BSON
    /// corpus lists such documents as valid. Everything else is checked as by
    /// `init(validating:maxDepth:)`.
    ///
    /// Returns the document and, when some value holds a NUL, the path to the
    /// first one (keys from the top, array indexes as their keys), so that a
    /// caller that refuses such text can say where it is. Costs nothing more
    /// than the strict check for text without NUL.
    public static func validatingSpecification(_ bytes: [UInt8], maxDepth: Int = BSONDocument.defaultMaxDepth) throws(BSONError) -> (document: BSONDocument, firstEmbeddedNUL: [String]?) {
        var embeddedNUL: [String]?
        try validate(bytes, maxDepth: maxDepth, allowingNUL: true, firstNUL: &embeddedNUL)
        return (BSONDocument(trustedBytes: bytes), embeddedNUL)
    }

    /// The strict check: a NUL inside a value is an error.
    static func validate(_ bytes: [UInt8], maxDepth: Int) throws(BSONError) {
        var unused: [String]?
        try validate(bytes, maxDepth: maxDepth, allowingNUL: false, firstNUL: &unused)
    }

    /// With `allowingNUL`, a NUL inside a value is legal and the path of the
    /// first one is left in `firstNUL`; without, it is an error.
    static func validate(_ bytes: [UInt8], maxDepth: Int, allowingNUL: Bool, firstNUL: inout [String]?) throws(BSONError) {
        let structural: BSONError? = bytes.withUnsafeBufferPointer { buffer in
            problem(in: buffer, maxDepth: maxDepth, allowingNUL: allowingNUL, firstNUL: &firstNUL)
        }
        if let structural { throw structural }
    }

    /// The specification's check (`validatingSpecification`) of bytes read in
    /// place, e.g. a frame in the server's input buffer: nothing is copied
    /// and nothing allocated unless a problem or a NUL is found. Returns the
    /// path of the first NUL inside a value, if any.
    public static func validateSpecification(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = BSONDocument.defaultMaxDepth) throws(BSONError) -> [String]? {
        var embeddedNUL: [String]?
        let structural = problem(in: bytes.assumingMemoryBound(to: UInt8.self), maxDepth: maxDepth, allowingNUL: true, firstNUL: &embeddedNUL)
        if let structural { throw structural }
        return embeddedNUL
    }

    /// The first problem of the document in `bytes`, or nil.
    private static func problem(in bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int, allowingNUL: Bool, firstNUL: inout [String]?) -> BSONError? {
        guard bytes.count >= 5 else {
            return .invalidDocument("a document is at least 5 bytes, got \(bytes.count)")
        }
        let declared = Int(Int32(bitPattern: UInt32(bytes[0]) | UInt32(bytes[1]) << 8 | UInt32(bytes[2]) << 16 | UInt32(bytes[3]) << 24))
        guard declared == bytes.count else {
            return .invalidDocument("length prefix says \(declared) bytes, document has \(bytes.count)")
        }
        guard bytes[bytes.count - 1] == 0 else {
            return .invalidDocument("document does not end with a zero byte")
        }
        return LibBSONIterator.withNew { iter in
            guard iter.start(bytes) else {
                return .invalidDocument("malformed document header")
            }
            return walk(iter, depth: 1, maxDepth: maxDepth, allowingNUL: allowingNUL, firstNUL: &firstNUL)
        }
    }

    /// Walks every element; returns the first problem found.
    private static func walk(_ iter: borrowing LibBSONIterator, depth: Int, maxDepth: Int, allowingNUL: Bool, firstNUL: inout [String]?) -> BSONError? {
        while iter.next() {
            switch stringProblem(iter, allowingNUL: allowingNUL) {
            case .none: break
            case .embeddedNUL:
                if firstNUL == nil { firstNUL = [iter.key] }
            case .invalid(let problem): return problem
            }
            // If the walk of this element's children finds the first NUL, this
            // element's key is one step of its path.
            let hadNUL = firstNUL != nil
            let type = iter.type
            if type == BSON_TYPE_DOCUMENT || type == BSON_TYPE_ARRAY {
                guard depth < maxDepth else { return .tooDeep(limit: maxDepth) }
                let problem: BSONError? = LibBSONIterator.withNew { child in
                    guard iter.recurse(into: child) else {
                        return .invalidDocument("malformed embedded document at offset \(iter.offset)")
                    }
                    return walk(child, depth: depth + 1, maxDepth: maxDepth, allowingNUL: allowingNUL, firstNUL: &firstNUL)
                }
                if let problem { return problem }
                if !hadNUL, firstNUL != nil { firstNUL?.insert(iter.key, at: 0) }
            } else if type == BSON_TYPE_CODEWSCOPE {
                guard depth < maxDepth else { return .tooDeep(limit: maxDepth) }
                var length: UInt32 = 0
                var scopeLength: UInt32 = 0
                var scope: UnsafePointer<UInt8>?
                _ = bson_iter_codewscope(iter.pointer, &length, &scopeLength, &scope)
                let problem: BSONError? = LibBSONIterator.withNew { child in
                    guard let scope, child.start(scope, count: Int(scopeLength)) else {
                        return .invalidDocument("malformed code-with-scope at offset \(iter.offset)")
                    }
                    return walk(child, depth: depth + 1, maxDepth: maxDepth, allowingNUL: allowingNUL, firstNUL: &firstNUL)
                }
                if let problem { return problem }
                if !hadNUL, firstNUL != nil { firstNUL?.insert(iter.key, at: 0) }
            }
        }
        if iter.errorOffset != 0 {
            return .invalidDocument("corrupt element at offset \(iter.errorOffset)")
        }
        return nil
    }

    private enum TextCheck {
        case none
        /// Valid UTF-8 holding a NUL: reported only when NULs are allowed.
        case embeddedNUL
        case invalid(BSONError)
    }

    /// Keys and string-like values must be valid UTF-8, and — unless
    /// `allowingNUL` — without NUL bytes. Checked here rather than left to
    /// `bson_validate`: libbson 1.23's validator reports success when it meets a
    /// string value that is not UTF-8 (its visitor stops there without flagging
    /// an error, so nothing after it is checked either), and it looks for NULs
    /// only in UTF-8 strings, not in code or symbols, which `BSONBuilder`
    /// writes as C strings and would cut. Keys and regex parts are C strings:
    /// they cannot hold a NUL, whatever the mode.
    private static func stringProblem(_ iter: borrowing LibBSONIterator, allowingNUL: Bool) -> TextCheck {
        let pointer = iter.pointer
        func valid(_ text: UnsafePointer<CChar>?, _ length: Int) -> Bool {
            UTF8Text.isValidWithoutNUL(text, count: length)
        }
        func cLength(_ text: UnsafePointer<CChar>?) -> Int {
            guard let text else { return 0 }
            var count = 0
            while text[count] != 0 { count += 1 }
            return count
        }
        let key = bson_iter_key(pointer)
        guard valid(key, Int(bson_iter_key_len(pointer))) else {
            return .invalid(.invalidDocument("key at offset \(iter.offset) is not valid UTF-8"))
        }
        var length: UInt32 = 0
        var text: UnsafePointer<CChar>?
        switch iter.type {
        case BSON_TYPE_UTF8:
            text = bson_iter_utf8(pointer, &length)
        case BSON_TYPE_CODE:
            text = bson_iter_code(pointer, &length)
        case BSON_TYPE_SYMBOL:
            text = bson_iter_symbol(pointer, &length)
        case BSON_TYPE_CODEWSCOPE:
            var scopeLength: UInt32 = 0
            var scope: UnsafePointer<UInt8>?
            text = bson_iter_codewscope(pointer, &length, &scopeLength, &scope)
        case BSON_TYPE_DBPOINTER:
            bson_iter_dbpointer(pointer, &length, &text, nil)
        case BSON_TYPE_REGEX:
            var options: UnsafePointer<CChar>?
            let pattern = bson_iter_regex(pointer, &options)
            guard valid(pattern, cLength(pattern)) && valid(options, cLength(options)) else {
                return .invalid(.invalidDocument("the value of \"\(key.map { String(cString: $0) } ?? "")\" is not valid UTF-8"))
            }
            return .none
        default:
            return .none
        }
        if valid(text, Int(length)) { return .none }
        let name = key.map { String(cString: $0) } ?? ""
        if allowingNUL {
            // Not NUL-free ASCII or UTF-8: either valid UTF-8 holding a NUL, or invalid.
            guard UTF8Text.isValidAllowingNUL(text, count: Int(length)) else {
                return .invalid(.invalidDocument("the value of \"\(name)\" is not valid UTF-8"))
            }
            return .embeddedNUL
        }
        return .invalid(.invalidDocument("the value of \"\(name)\" is not valid UTF-8 or contains a NUL byte"))
    }

    static func message(of error: inout bson_error_t) -> String {
        withUnsafeBytes(of: &error.message) { raw in
            String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
        }
    }
}
