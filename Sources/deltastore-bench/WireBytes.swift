import BSONCore

/// Just enough BSON reading for the load generator and the echo server to
/// handle frames without decoding them: walk a document's top-level elements
/// and find where a value's bytes are.
///
/// Both sides of the benchmark use it so that the measuring tools stay cheap
/// next to what they measure: a frame is looked at, never turned into
/// `BSONValue`s. Input is trusted only as far as the bounds checks go; a
/// malformed element ends the walk (`nil`).
enum WireBytes {
    /// One element of a document: its type byte, key range, and value range
    /// (all offsets into the buffer the walk was given).
    struct Element {
        var type: UInt8
        var keyStart: Int
        var keyEnd: Int
        var valueStart: Int
        var valueEnd: Int
    }

    /// Calls `body` for each top-level element of the document that starts at
    /// `start`; stops early when `body` returns false. Returns false when the
    /// document is malformed within the checked bounds.
    @discardableResult
    static func forEachElement(_ bytes: UnsafeRawBufferPointer, start: Int = 0, _ body: (Element) -> Bool) -> Bool {
        guard bytes.count - start >= 5 else { return false }
        let length = Int(readInt32(bytes, start))
        guard length >= 5, start + length <= bytes.count else { return false }
        let end = start + length - 1 // the terminating zero
        var offset = start + 4
        while offset < end {
            let type = bytes[offset]
            let keyStart = offset + 1
            var keyEnd = keyStart
            while keyEnd < end, bytes[keyEnd] != 0 { keyEnd += 1 }
            guard keyEnd < end else { return false }
            let valueStart = keyEnd + 1
            guard let size = valueSize(type: type, bytes, at: valueStart, end: end) else { return false }
            let element = Element(type: type, keyStart: keyStart, keyEnd: keyEnd, valueStart: valueStart, valueEnd: valueStart + size)
            guard element.valueEnd <= end else { return false }
            if !body(element) { return true }
            offset = element.valueEnd
        }
        return true
    }

    /// The size of a value of `type` starting at `offset`, or nil if unknown or out of bounds.
    static func valueSize(type: UInt8, _ bytes: UnsafeRawBufferPointer, at offset: Int, end: Int) -> Int? {
        func int32At(_ o: Int) -> Int? { o + 4 <= end ? Int(readInt32(bytes, o)) : nil }
        func cstringLength(_ o: Int) -> Int? {
            var i = o
            while i < end, bytes[i] != 0 { i += 1 }
            return i < end ? i - o + 1 : nil
        }
        switch type {
        case 0x01, 0x09, 0x11, 0x12: return 8
        case 0x02, 0x0D, 0x0E: return int32At(offset).map { 4 + $0 }
        case 0x03, 0x04, 0x0F: return int32At(offset)
        case 0x05: return int32At(offset).map { 5 + $0 }
        case 0x06, 0x0A, 0x7F, 0xFF: return 0
        case 0x07: return 12
        case 0x08: return 1
        case 0x0B:
            guard let a = cstringLength(offset), let b = cstringLength(offset + a) else { return nil }
            return a + b
        case 0x0C: return int32At(offset).map { 4 + $0 + 12 }
        case 0x10: return 4
        case 0x13: return 16
        default: return nil
        }
    }

    static func readInt32(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> Int32 {
        Int32(bitPattern: UInt32(bytes[offset]) | UInt32(bytes[offset + 1]) << 8 | UInt32(bytes[offset + 2]) << 16 | UInt32(bytes[offset + 3]) << 24)
    }

    static func readInt64(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> Int64 {
        var value: UInt64 = 0
        for i in (0..<8).reversed() { value = value << 8 | UInt64(bytes[offset + i]) }
        return Int64(bitPattern: value)
    }

    static func writeInt64(_ bytes: UnsafeMutableRawBufferPointer, _ offset: Int, _ value: Int64) {
        let v = UInt64(bitPattern: value)
        for i in 0..<8 { bytes[offset + i] = UInt8(truncatingIfNeeded: v >> (8 * UInt64(i))) }
    }

    static func keyEquals(_ bytes: UnsafeRawBufferPointer, _ element: Element, _ key: StaticString) -> Bool {
        let count = element.keyEnd - element.keyStart
        guard count == key.utf8CodeUnitCount else { return false }
        let k = key.utf8Start
        for i in 0..<count where bytes[element.keyStart + i] != k[i] { return false }
        return true
    }

    /// Offsets of the values (type `type`) under `key` in every document of the
    /// array value at `arrayStart` (the array's own int32 length first).
    static func offsetsInArrayOfDocuments(_ bytes: UnsafeRawBufferPointer, arrayStart: Int, key: StaticString, type: UInt8) -> [Int] {
        var offsets: [Int] = []
        forEachElement(bytes, start: arrayStart) { item in
            guard item.type == 0x03 else { return true }
            forEachElement(bytes, start: item.valueStart) { field in
                if field.type == type, keyEquals(bytes, field, key) { offsets.append(field.valueStart) }
                return true
            }
            return true
        }
        return offsets
    }

    /// The value offset of the top-level `key` (with `type`) in a document.
    static func offset(of key: StaticString, type: UInt8, in bytes: UnsafeRawBufferPointer, start: Int = 0) -> Int? {
        var found: Int?
        forEachElement(bytes, start: start) { element in
            if element.type == type, keyEquals(bytes, element, key) {
                found = element.valueStart
                return false
            }
            return true
        }
        return found
    }
}
