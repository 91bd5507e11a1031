import CBSON

extension BSONDocument {
    /// The value stored under `key` at the top level, or `nil` when absent. With
    /// duplicate keys (legal BSON), the first one wins; see `duplicateKey`.
    public subscript(key: String) -> BSONValue? {
        withIterator { iter -> BSONValue? in
            guard iter.find(key) else { return nil }
            return Self.decodeValue(iter)
        }
    }

    /// The top-level elements in document order.
    public var elements: [(key: String, value: BSONValue)] {
        withIterator { iter in
            var out: [(key: String, value: BSONValue)] = []
            while iter.next() {
                out.append((iter.key, Self.decodeValue(iter)))
            }
            return out
        }
    }

    /// The top-level keys in document order.
    public var keys: [String] {
        withIterator { iter in
            var out: [String] = []
            while iter.next() {
                out.append(iter.key)
            }
            return out
        }
    }

    /// The first top-level key that appears more than once, if any.
    public var duplicateKey: String? {
        var seen = Set<String>()
        for key in keys where !seen.insert(key).inserted {
            return key
        }
        return nil
    }

    /// Runs `body` with a libbson iterator positioned before the first element.
    func withIterator<R>(_ body: (borrowing LibBSONIterator) -> R) -> R {
        bytes.withUnsafeBufferPointer { buffer in
            LibBSONIterator.withNew { iter in
                // Cannot fail: the bytes were validated or produced by libbson.
                _ = iter.start(buffer)
                return body(iter)
            }
        }
    }

    /// Decodes the value the iterator points at.
    static func decodeValue(_ it: borrowing LibBSONIterator) -> BSONValue {
        let iter = it.pointer
        switch it.type {
        case BSON_TYPE_DOUBLE:
            return .double(bson_iter_double(iter))
        case BSON_TYPE_UTF8:
            var length: UInt32 = 0
            let pointer = bson_iter_utf8(iter, &length)
            return .string(Self.string(pointer, Int(length)))
        case BSON_TYPE_DOCUMENT:
            var length: UInt32 = 0
            var data: UnsafePointer<UInt8>?
            bson_iter_document(iter, &length, &data)
            return .document(BSONDocument(trustedBytes: Self.bytes(data, Int(length))))
        case BSON_TYPE_ARRAY:
            return LibBSONIterator.withNew { child in
                var values: [BSONValue] = []
                if it.recurse(into: child) {
                    while child.next() {
                        values.append(decodeValue(child))
                    }
                }
                return .array(values)
            }
        case BSON_TYPE_BINARY:
            var subtype = BSON_SUBTYPE_BINARY
            var length: UInt32 = 0
            var data: UnsafePointer<UInt8>?
            bson_iter_binary(iter, &subtype, &length, &data)
            return .binary(subtype: UInt8(truncatingIfNeeded: subtype.rawValue), data: Self.bytes(data, Int(length)))
        case BSON_TYPE_UNDEFINED:
            return .undefined
        case BSON_TYPE_OID:
            return .objectID(BSONObjectID(cValue: bson_iter_oid(iter).pointee))
        case BSON_TYPE_BOOL:
            return .bool(bson_iter_bool(iter))
        case BSON_TYPE_DATE_TIME:
            return .datetime(bson_iter_date_time(iter))
        case BSON_TYPE_NULL:
            return .null
        case BSON_TYPE_REGEX:
            var options: UnsafePointer<CChar>?
            let pattern = bson_iter_regex(iter, &options)
            return .regex(pattern: pattern.map { String(cString: $0) } ?? "", options: options.map { String(cString: $0) } ?? "")
        case BSON_TYPE_DBPOINTER:
            var length: UInt32 = 0
            var collection: UnsafePointer<CChar>?
            var oid: UnsafePointer<bson_oid_t>?
            bson_iter_dbpointer(iter, &length, &collection, &oid)
            let id = oid.map { BSONObjectID(cValue: $0.pointee) } ?? BSONObjectID()
            return .dbPointer(collection: Self.string(collection, Int(length)), id: id)
        case BSON_TYPE_CODE:
            var length: UInt32 = 0
            let pointer = bson_iter_code(iter, &length)
            return .javascript(Self.string(pointer, Int(length)))
        case BSON_TYPE_SYMBOL:
            var length: UInt32 = 0
            let pointer = bson_iter_symbol(iter, &length)
            return .symbol(Self.string(pointer, Int(length)))
        case BSON_TYPE_CODEWSCOPE:
            var length: UInt32 = 0
            var scopeLength: UInt32 = 0
            var scope: UnsafePointer<UInt8>?
            let code = bson_iter_codewscope(iter, &length, &scopeLength, &scope)
            return .javascriptWithScope(
                code: Self.string(code, Int(length)),
                scope: BSONDocument(trustedBytes: Self.bytes(scope, Int(scopeLength)))
            )
        case BSON_TYPE_INT32:
            return .int32(bson_iter_int32(iter))
        case BSON_TYPE_TIMESTAMP:
            var seconds: UInt32 = 0
            var increment: UInt32 = 0
            bson_iter_timestamp(iter, &seconds, &increment)
            return .timestamp(seconds: seconds, increment: increment)
        case BSON_TYPE_INT64:
            return .int64(bson_iter_int64(iter))
        case BSON_TYPE_DECIMAL128:
            var dec = bson_decimal128_t()
            _ = bson_iter_decimal128(iter, &dec)
            return .decimal128(BSONDecimal128(low: dec.low, high: dec.high))
        case BSON_TYPE_MINKEY:
            return .minKey
        case BSON_TYPE_MAXKEY:
            return .maxKey
        default:
            // Unreachable for validated documents: libbson rejects unknown types.
            return .undefined
        }
    }

    private static func string(_ pointer: UnsafePointer<CChar>?, _ length: Int) -> String {
        guard let pointer, length > 0 else { return "" }
        return pointer.withMemoryRebound(to: UInt8.self, capacity: length) {
            String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
        }
    }

    private static func bytes(_ pointer: UnsafePointer<UInt8>?, _ length: Int) -> [UInt8] {
        guard let pointer, length > 0 else { return [] }
        return Array(UnsafeBufferPointer(start: pointer, count: length))
    }
}
