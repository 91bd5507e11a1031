/// Hand-assembled BSON bytes, for tests that need documents libbson would never
/// produce (bad lengths, invalid UTF-8, extreme nesting): shared by the BSON
/// and wire-protocol tests.
public enum RawBSON {
    /// A document from already-encoded elements, with a correct length prefix.
    public static func document(_ elements: [UInt8]...) -> [UInt8] {
        document(elements)
    }

    public static func document(_ elements: [[UInt8]]) -> [UInt8] {
        let body = elements.flatMap { $0 }
        return int32(Int32(4 + body.count + 1)) + body + [0]
    }

    /// One element: type byte, key bytes (not necessarily UTF-8), NUL, payload.
    public static func element(_ type: UInt8, key: [UInt8], _ payload: [UInt8]) -> [UInt8] {
        [type] + key + [0] + payload
    }

    public static func element(_ type: UInt8, _ key: String, _ payload: [UInt8]) -> [UInt8] {
        element(type, key: Array(key.utf8), payload)
    }

    /// A BSON string payload (int32 length including the NUL, bytes, NUL) from raw bytes.
    public static func string(_ bytes: [UInt8]) -> [UInt8] {
        int32(Int32(bytes.count + 1)) + bytes + [0]
    }

    /// An array element `name` whose elements (int32 0, 1, …) have exactly
    /// `keys` as keys: arrays numbered wrongly, which builders never write.
    public static func array(_ name: String, keys: [String]) -> [UInt8] {
        let elements = keys.enumerated().map { element(0x10, $0.element, int32(Int32($0.offset))) }
        return element(0x04, name, document(elements))
    }

    public static func int32(_ value: Int32) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }

    /// `{a: {a: ... {}}}` with `levels` documents in all, the outermost included
    /// (so `levels == 1` is `{}`). Written in one pass, so that very deep
    /// documents are cheap to make.
    public static func nestedDocuments(levels: Int, arrays: Bool = false) -> [UInt8] {
        precondition(levels >= 1)
        var out: [UInt8] = []
        out.reserveCapacity(8 * levels)
        for level in 0..<levels {
            // Each enclosing level adds: type, key "a" or "0", NUL, and its own
            // 4-byte length and terminator around the child.
            let size = 5 + 8 * (levels - 1 - level)
            out += int32(Int32(size))
            if level < levels - 1 {
                out += [arrays ? 0x04 : 0x03, arrays ? UInt8(ascii: "0") : UInt8(ascii: "a"), 0]
            }
        }
        out += [UInt8](repeating: 0, count: levels)
        return out
    }
}
