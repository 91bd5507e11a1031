/// BSON encoding of the common value types in Swift, without a `bson_t`.
///
/// Every reply a handler builds goes through `BSONDocument(_:)`, and most
/// hold only strings, numbers, booleans, datetimes and nested documents or
/// arrays of them. For those, writing the bytes straight into an array costs
/// a fraction of a libbson round trip (`bson_new`, one call per element,
/// copying out, `bson_destroy`). The rarer types (binary, regex, JavaScript,
/// decimal128, …) are left to libbson: a document holding any of them is
/// encoded by `BSONBuilder` as a whole. Both produce the same bytes, which
/// `BSONDocumentEncodingTests` checks value by value against libbson.
enum BSONNativeEncoder {
    /// The encoding of `elements`, or nil when one of the values is a type
    /// left to libbson.
    static func encode(_ elements: some Sequence<(String, BSONValue)>) -> [UInt8]? {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        return appendDocument(elements, to: &out) ? out : nil
    }

    private static func appendDocument(_ elements: some Sequence<(String, BSONValue)>, to out: inout [UInt8]) -> Bool {
        let start = out.count
        out.append(contentsOf: [0, 0, 0, 0])
        for (key, value) in elements {
            guard appendElement(key, value, to: &out) else { return false }
        }
        out.append(0)
        patchLength(at: start, in: &out)
        return true
    }

    private static func appendElement(_ key: String, _ value: BSONValue, to out: inout [UInt8]) -> Bool {
        let typeIndex = out.count
        out.append(0)
        // A key is a C string: like libbson given -1 as its length, stop at a NUL.
        for byte in key.utf8 {
            if byte == 0 { break }
            out.append(byte)
        }
        out.append(0)
        let type: UInt8
        switch value {
        case .double(let number):
            type = 0x01
            appendLittleEndian(number.bitPattern, to: &out)
        case .string(let text):
            type = 0x02
            appendLittleEndian(UInt32(truncatingIfNeeded: text.utf8.count + 1), to: &out)
            out.append(contentsOf: text.utf8)
            out.append(0)
        case .document(let document):
            type = 0x03
            out.append(contentsOf: document.bytes)
        case .array(let values):
            type = 0x04
            guard appendDocument(values.enumerated().lazy.map { (String($0.offset), $0.element) }, to: &out) else { return false }
        case .objectID(let id):
            type = 0x07
            out.append(contentsOf: id.bytes)
        case .bool(let flag):
            type = 0x08
            out.append(flag ? 1 : 0)
        case .datetime(let milliseconds):
            type = 0x09
            appendLittleEndian(UInt64(bitPattern: milliseconds), to: &out)
        case .null:
            type = 0x0A
        case .int32(let number):
            type = 0x10
            appendLittleEndian(UInt32(bitPattern: number), to: &out)
        case .timestamp(let seconds, let increment):
            type = 0x11
            appendLittleEndian(increment, to: &out)
            appendLittleEndian(seconds, to: &out)
        case .int64(let number):
            type = 0x12
            appendLittleEndian(UInt64(bitPattern: number), to: &out)
        case .binary, .undefined, .regex, .dbPointer, .javascript, .symbol, .javascriptWithScope, .decimal128, .minKey, .maxKey:
            return false
        }
        out[typeIndex] = type
        return true
    }

    private static func appendLittleEndian<T: FixedWidthInteger>(_ value: T, to out: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { out.append(contentsOf: $0) }
    }

    private static func patchLength(at start: Int, in out: inout [UInt8]) {
        let length = UInt32(truncatingIfNeeded: out.count - start)
        out[start] = UInt8(truncatingIfNeeded: length)
        out[start + 1] = UInt8(truncatingIfNeeded: length >> 8)
        out[start + 2] = UInt8(truncatingIfNeeded: length >> 16)
        out[start + 3] = UInt8(truncatingIfNeeded: length >> 24)
    }
}
