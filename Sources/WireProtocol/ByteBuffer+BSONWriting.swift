import BSONCore
import NIOCore

/// Writing a BSON document straight into a `ByteBuffer`, element by element:
/// how inline handlers (`InlineHandler`) answer without building a
/// `BSONDocument` first. The bytes are those `BSONDocument(_:)` gives for
/// the same pairs (keys are code's, never a client's: no NUL in them).
extension ByteBuffer {
    /// Starts a document; finish it with `finishBSONDocument(startedAt:)`.
    public mutating func startBSONDocument() -> Int {
        let start = writerIndex
        writeInteger(Int32(0), endianness: .little)
        return start
    }

    /// Ends the document started at `start` and writes its length.
    public mutating func finishBSONDocument(startedAt start: Int) {
        writeInteger(UInt8(0))
        setInteger(Int32(truncatingIfNeeded: writerIndex - start), at: start, endianness: .little)
    }

    public mutating func writeBSONElement(_ key: StaticString, bool value: Bool) {
        writeBSONKey(0x08, key)
        writeInteger(UInt8(value ? 1 : 0))
    }

    public mutating func writeBSONElement(_ key: StaticString, string value: String) {
        writeBSONKey(0x02, key)
        writeInteger(Int32(truncatingIfNeeded: value.utf8.count + 1), endianness: .little)
        writeString(value)
        writeInteger(UInt8(0))
    }

    /// A UTC datetime, in milliseconds since the epoch.
    public mutating func writeBSONElement(_ key: StaticString, datetime milliseconds: Int64) {
        writeBSONKey(0x09, key)
        writeInteger(milliseconds, endianness: .little)
    }

    /// Appends an encoded document (a prepared result) as it is.
    public mutating func writeBSONDocument(_ document: BSONDocument) {
        writeBytes(document.bytes)
    }

    private mutating func writeBSONKey(_ type: UInt8, _ key: StaticString) {
        writeInteger(type)
        writeStaticString(key)
        writeInteger(UInt8(0))
    }
}

/// Writes the elements of one document into memory sized for it beforehand
/// (`ByteBuffer.writeBSONDocument(byteCount:_:)`): what an inline handler
/// whose result is made of a few known elements uses, so that the whole
/// document costs one write into the buffer rather than one per element.
/// The bytes are those of the element-by-element writers above.
public struct BSONDocumentWriter {
    private let base: UnsafeMutableRawPointer
    private let end: Int
    private var offset = 4

    fileprivate init(base: UnsafeMutableRawPointer, count: Int) {
        self.base = base
        end = count
    }

    /// A document's length prefix and terminator, to which its elements' sizes add.
    public static let emptyDocumentSize = 5

    public static func size(_ key: StaticString, bool: Bool) -> Int { 2 + key.utf8CodeUnitCount + 1 }
    public static func size(_ key: StaticString, string: String) -> Int { 2 + key.utf8CodeUnitCount + 4 + string.utf8.count + 1 }
    public static func size(_ key: StaticString, datetime: Int64) -> Int { 2 + key.utf8CodeUnitCount + 8 }

    public mutating func write(_ key: StaticString, bool value: Bool) {
        writeKey(0x08, key)
        put(UInt8(value ? 1 : 0))
    }

    public mutating func write(_ key: StaticString, string value: String) {
        writeKey(0x02, key)
        var text = value
        text.withUTF8 { bytes in
            put(UInt32(truncatingIfNeeded: bytes.count + 1).littleEndian)
            copy(UnsafeRawBufferPointer(bytes))
        }
        put(UInt8(0))
    }

    public mutating func write(_ key: StaticString, datetime milliseconds: Int64) {
        writeKey(0x09, key)
        put(milliseconds.littleEndian)
    }

    /// Ends the document: its terminator and length prefix. Returns whether
    /// exactly the promised size was written.
    fileprivate mutating func finish() -> Bool {
        put(UInt8(0))
        base.storeBytes(of: UInt32(truncatingIfNeeded: offset).littleEndian, as: UInt32.self)
        return offset == end
    }

    private mutating func writeKey(_ type: UInt8, _ key: StaticString) {
        put(type)
        key.withUTF8Buffer { copy(UnsafeRawBufferPointer($0)) }
        put(UInt8(0))
    }

    private mutating func put<T: FixedWidthInteger>(_ value: T) {
        let size = MemoryLayout<T>.size
        guard offset + size <= end else { offset = end + 1; return }
        (base + offset).storeBytes(of: value, as: T.self)
        offset += size
    }

    private mutating func copy(_ bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        guard offset + bytes.count <= end else { offset = end + 1; return }
        (base + offset).copyMemory(from: source, byteCount: bytes.count)
        offset += bytes.count
    }
}

extension ByteBuffer {
    /// Writes one document of exactly `byteCount` bytes (its elements'
    /// sizes from `BSONDocumentWriter.size`) with `body`, in one write.
    /// Returns false, with nothing written, if `body` wrote another size.
    public mutating func writeBSONDocument(byteCount: Int, _ body: (inout BSONDocumentWriter) -> Void) -> Bool {
        guard byteCount >= 5 else { return false }
        let start = writerIndex
        var exact = true
        writeWithUnsafeMutableBytes(minimumWritableBytes: byteCount) { memory in
            guard let base = memory.baseAddress, memory.count >= byteCount else {
                exact = false
                return 0
            }
            var writer = BSONDocumentWriter(base: base, count: byteCount)
            body(&writer)
            exact = writer.finish()
            return byteCount
        }
        if !exact { moveWriterIndex(to: start) }
        return exact
    }
}
