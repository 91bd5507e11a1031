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
