import CBSON

extension BSONDocument {
    /// Encodes the pairs in order: in Swift for the common types, with libbson
    /// when a value is of a rarer type (`BSONNativeEncoder`); the bytes are the
    /// same either way. A key is cut at its first NUL byte, since BSON keys
    /// are C strings; keys come from code, not from clients.
    public init(_ elements: some Sequence<(String, BSONValue)>) {
        if let bytes = BSONNativeEncoder.encode(elements) {
            self.init(trustedBytes: bytes)
        } else {
            self.init(libbsonEncoding: elements)
        }
    }

    /// Encodes the pairs in order with libbson (every type).
    init(libbsonEncoding elements: some Sequence<(String, BSONValue)>) {
        let builder = BSONBuilder()
        for (key, value) in elements {
            builder.append(key, value)
        }
        self.init(trustedBytes: builder.finish())
    }

    /// A copy with `key: value` added at the end (an existing `key` is kept;
    /// use `setting` to replace). Works on the bytes without decoding the rest.
    public func appending(_ key: String, _ value: BSONValue) -> BSONDocument {
        let element = BSONDocument([(key, value)]).bytes.dropFirst(4).dropLast()
        var out = [UInt8]()
        out.reserveCapacity(bytes.count + element.count)
        out.append(contentsOf: bytes.dropLast())
        out.append(contentsOf: element)
        out.append(0)
        Self.writeLength(&out)
        return BSONDocument(trustedBytes: out)
    }

    /// A copy without the top-level elements whose key is in `keys`.
    public func removing(_ keys: Set<String>) -> BSONDocument {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count)
        out.append(contentsOf: [0, 0, 0, 0])
        withIterator { iter in
            while iter.next() {
                if !keys.contains(iter.key) {
                    out.append(contentsOf: bytes[iter.offset..<iter.nextOffset])
                }
            }
        }
        out.append(0)
        Self.writeLength(&out)
        return BSONDocument(trustedBytes: out)
    }

    /// A copy where `key` holds `value`: replaced in place of its first
    /// occurrence if present (other occurrences dropped), appended otherwise.
    public func setting(_ key: String, _ value: BSONValue) -> BSONDocument {
        guard self[key] != nil else { return appending(key, value) }
        var result: [(String, BSONValue)] = []
        var placed = false
        for element in elements {
            if element.key == key {
                if !placed { result.append((key, value)); placed = true }
            } else {
                result.append((element.key, element.value))
            }
        }
        return BSONDocument(result)
    }

    private static func writeLength(_ out: inout [UInt8]) {
        let length = UInt32(out.count)
        out[0] = UInt8(truncatingIfNeeded: length)
        out[1] = UInt8(truncatingIfNeeded: length >> 8)
        out[2] = UInt8(truncatingIfNeeded: length >> 16)
        out[3] = UInt8(truncatingIfNeeded: length >> 24)
    }
}

/// Owns one heap `bson_t` while a document is being encoded. Confined to the
/// building function that creates it, never shared across threads.
final class BSONBuilder {
    private let handle: OpaquePointer

    init() {
        // bson_new only fails when malloc does, which aborts inside libbson.
        handle = bson_new()
    }

    deinit {
        bson_destroy(handle)
    }

    func finish() -> [UInt8] {
        guard let data = bson_get_data(handle) else { return [5, 0, 0, 0, 0] }
        // A document starts with its own little-endian int32 length.
        let length = Int(UInt32(data[0]) | UInt32(data[1]) << 8 | UInt32(data[2]) << 16 | UInt32(data[3]) << 24)
        return Array(UnsafeBufferPointer(start: data, count: length))
    }

    func append(_ key: String, _ value: BSONValue) {
        switch value {
        case .double(let d):
            bson_append_double(handle, key, -1, d)
        case .string(let s):
            Self.withUTF8(s) { pointer, count in _ = bson_append_utf8(handle, key, -1, pointer, Int32(count)) }
        case .document(let doc):
            Self.withTemporary(doc.bytes) { child in _ = bson_append_document(handle, key, -1, child) }
        case .array(let values):
            let child = BSONBuilder()
            for (index, element) in values.enumerated() {
                child.append(String(index), element)
            }
            bson_append_array(handle, key, -1, child.handle)
        case .binary(let subtype, let data):
            data.withUnsafeBufferPointer { buffer in
                _ = bson_append_binary(handle, key, -1, bson_subtype_t(UInt32(subtype)), buffer.baseAddress, UInt32(buffer.count))
            }
        case .undefined:
            bson_append_undefined(handle, key, -1)
        case .objectID(let id):
            var oid = id.cValue
            bson_append_oid(handle, key, -1, &oid)
        case .bool(let b):
            bson_append_bool(handle, key, -1, b)
        case .datetime(let ms):
            bson_append_date_time(handle, key, -1, ms)
        case .null:
            bson_append_null(handle, key, -1)
        case .regex(let pattern, let options):
            bson_append_regex(handle, key, -1, pattern, options)
        case .dbPointer(let collection, let id):
            var oid = id.cValue
            bson_append_dbpointer(handle, key, -1, collection, &oid)
        case .javascript(let code):
            bson_append_code(handle, key, -1, code)
        case .symbol(let symbol):
            Self.withUTF8(symbol) { pointer, count in _ = bson_append_symbol(handle, key, -1, pointer, Int32(count)) }
        case .javascriptWithScope(let code, let scope):
            Self.withTemporary(scope.bytes) { child in _ = bson_append_code_with_scope(handle, key, -1, code, child) }
        case .int32(let v):
            bson_append_int32(handle, key, -1, v)
        case .timestamp(let seconds, let increment):
            bson_append_timestamp(handle, key, -1, seconds, increment)
        case .int64(let v):
            bson_append_int64(handle, key, -1, v)
        case .decimal128(let dec):
            var value = bson_decimal128_t(low: dec.low, high: dec.high)
            bson_append_decimal128(handle, key, -1, &value)
        case .minKey:
            bson_append_minkey(handle, key, -1)
        case .maxKey:
            bson_append_maxkey(handle, key, -1)
        }
    }

    /// Runs `body` with a heap `bson_t` holding a copy of `bytes`.
    static func withTemporary<R>(_ bytes: [UInt8], _ body: (OpaquePointer) -> R) -> R? {
        let temporary = bytes.withUnsafeBufferPointer { bson_new_from_data($0.baseAddress, $0.count) }
        guard let temporary else { return nil }
        defer { bson_destroy(temporary) }
        return body(temporary)
    }

    private static func withUTF8(_ string: String, _ body: (UnsafePointer<CChar>, Int) -> Void) {
        var copy = string
        copy.withUTF8 { buffer in
            if let base = buffer.baseAddress, buffer.count > 0 {
                base.withMemoryRebound(to: CChar.self, capacity: buffer.count) { body($0, buffer.count) }
            } else {
                "".withCString { body($0, 0) }
            }
        }
    }
}
