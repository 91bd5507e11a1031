/// A validated BSON document read where its bytes are — a frame in the
/// server's input buffer — without copying them into a `BSONDocument`.
///
/// It exists for the request path: the envelope of every request, and the
/// arguments of the most frequent ones, are read from the bytes as they
/// arrived, with no allocation. Like the `UnsafeRawBufferPointer` it holds, a
/// view is valid only while that memory is: use it within the scope that
/// gave it, and copy (`BSONDocument(copying:)`) what must outlive it.
public struct BSONDocumentView {
    /// The whole document: length prefix, elements, terminator.
    public let bytes: UnsafeRawBufferPointer

    /// Wraps bytes that passed `BSONDocument.validateSpecification` (or were
    /// taken from a `BSONDocument`) and have not changed since: the caller
    /// vouches for that, as the name says.
    public init(unsafeValidatedBytes bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// True for `{}`.
    public var isEmpty: Bool { bytes.count <= 5 }

    /// Calls `body` with each top-level element in document order, until it
    /// returns false. Reads the bytes in place; allocates nothing.
    public func forEachElement(_ body: (BSONElementView) -> Bool) {
        var offset = 4
        let end = bytes.count - 1
        while offset < end {
            let type = bytes[offset]
            let keyStart = offset + 1
            var keyEnd = keyStart
            while keyEnd < end && bytes[keyEnd] != 0 { keyEnd += 1 }
            let valueStart = keyEnd + 1
            // Cannot fail for validated bytes; stops quietly for anything else.
            guard keyEnd < end, let size = Self.valueSize(type: type, in: bytes, at: valueStart), valueStart + size <= end else { return }
            let element = BSONElementView(
                type: type,
                key: UnsafeRawBufferPointer(rebasing: bytes[keyStart..<keyEnd]),
                value: UnsafeRawBufferPointer(rebasing: bytes[valueStart..<(valueStart + size)]),
                valueOffset: valueStart
            )
            guard body(element) else { return }
            offset = valueStart + size
        }
    }

    /// The number of bytes of a value of BSON type `type` starting at `offset`.
    static func valueSize(type: UInt8, in bytes: UnsafeRawBufferPointer, at offset: Int) -> Int? {
        func int32(at position: Int) -> Int? {
            guard position >= 0, position + 4 <= bytes.count else { return nil }
            return Int(Int32(littleEndian: bytes.loadUnaligned(fromByteOffset: position, as: Int32.self)))
        }
        func cString(from position: Int) -> Int? {
            var index = position
            while index < bytes.count {
                if bytes[index] == 0 { return index + 1 - position }
                index += 1
            }
            return nil
        }
        switch type {
        case 0x01, 0x09, 0x11, 0x12: return 8
        case 0x02, 0x0D, 0x0E: return int32(at: offset).map { 4 + $0 }
        case 0x03, 0x04, 0x0F: return int32(at: offset)
        case 0x05: return int32(at: offset).map { 5 + $0 }
        case 0x06, 0x0A, 0x7F, 0xFF: return 0
        case 0x07: return 12
        case 0x08: return 1
        case 0x0B:
            guard let pattern = cString(from: offset), let options = cString(from: offset + pattern) else { return nil }
            return pattern + options
        case 0x0C: return int32(at: offset).map { 4 + $0 + 12 }
        case 0x10: return 4
        case 0x13: return 16
        default: return nil
        }
    }
}

/// One top-level element of a `BSONDocumentView`: its type code, key and
/// value bytes, read in place (valid as long as the view's bytes are).
public struct BSONElementView {
    /// The BSON type code (0x02 string, 0x10 int32, …).
    public let type: UInt8
    /// The key's UTF-8 bytes, without the terminating NUL.
    public let key: UnsafeRawBufferPointer
    /// The value's encoded bytes.
    public let value: UnsafeRawBufferPointer
    /// Where the value starts in the document.
    public let valueOffset: Int

    /// Whether the key is `name` (compared byte for byte, no `String` made).
    public func keyEquals(_ name: StaticString) -> Bool {
        guard key.count == name.utf8CodeUnitCount else { return false }
        return name.withUTF8Buffer { expected in
            for index in 0..<expected.count where expected[index] != key[index] { return false }
            return true
        }
    }

    /// The element whose encoding (type byte, key, NUL, value) is exactly
    /// `bytes`, e.g. taken before with `elementBytes`; nil if it is not one.
    public init?(elementBytes bytes: UnsafeRawBufferPointer) {
        guard bytes.count >= 2, let terminator = bytes[1...].firstIndex(of: 0) else { return nil }
        let valueStart = terminator + 1
        guard let size = BSONDocumentView.valueSize(type: bytes[0], in: bytes, at: valueStart), valueStart + size == bytes.count else { return nil }
        self.init(
            type: bytes[0], key: UnsafeRawBufferPointer(rebasing: bytes[1..<terminator]),
            value: UnsafeRawBufferPointer(rebasing: bytes[valueStart...]), valueOffset: valueStart
        )
    }

    init(type: UInt8, key: UnsafeRawBufferPointer, value: UnsafeRawBufferPointer, valueOffset: Int) {
        self.type = type
        self.key = key
        self.value = value
        self.valueOffset = valueOffset
    }

    /// The whole element as encoded: type byte, key, NUL, value. A request's
    /// `id` element copied as it is is the reply's `id` element.
    public var elementBytes: UnsafeRawBufferPointer {
        guard let key = key.baseAddress, let value = value.baseAddress else { return UnsafeRawBufferPointer(start: nil, count: 0) }
        let start = key - 1
        return UnsafeRawBufferPointer(start: start, count: (value - start) + self.value.count)
    }

    /// The key as a `String` (for messages).
    public var keyString: String { String(decoding: key, as: UTF8.self) }

    /// The type's name as error messages give it ("string", "int32", …).
    public var typeName: String { BSONValue.typeName(code: type) }

    public var int32Value: Int32? {
        guard type == 0x10 else { return nil }
        return Int32(littleEndian: value.loadUnaligned(as: Int32.self))
    }

    public var int64Value: Int64? {
        guard type == 0x12 else { return nil }
        return Int64(littleEndian: value.loadUnaligned(as: Int64.self))
    }

    /// The value of an int32 or an int64 (never a double): integers are strict.
    public var integerValue: Int64? {
        int32Value.map(Int64.init) ?? int64Value
    }

    /// The UTF-8 bytes of a string value, without its terminating NUL.
    public var utf8Bytes: UnsafeRawBufferPointer? {
        guard type == 0x02, value.count >= 5 else { return nil }
        return UnsafeRawBufferPointer(rebasing: value[4..<(value.count - 1)])
    }

    /// A string value as a `String` (no allocation for up to 15 bytes).
    public var stringValue: String? {
        utf8Bytes.map { String(decoding: $0, as: UTF8.self) }
    }

    /// An embedded document value.
    public var documentValue: BSONDocumentView? {
        guard type == 0x03 else { return nil }
        return BSONDocumentView(unsafeValidatedBytes: value)
    }
}

extension BSONDocument {
    /// An owned copy of the document a view shows.
    public init(copying view: BSONDocumentView) {
        self.init(trustedBytes: Array(view.bytes))
    }

    /// Runs `body` with a view of this document's bytes.
    public func withView<R>(_ body: (BSONDocumentView) throws -> R) rethrows -> R {
        try bytes.withUnsafeBytes { try body(BSONDocumentView(unsafeValidatedBytes: $0)) }
    }
}
