import BSONCore
import NIOCore

/// Splits a byte stream into BSON documents: the framing of the protocol.
///
/// Contract (the one `proto-spec/PROTOCOL.md` states for every reader):
/// - a frame is one BSON document; its own leading little-endian int32 (the
///   total size, those 4 bytes included) is the length prefix;
/// - the length is checked against `5...maximumFrameBytes` as soon as its 4
///   bytes are here, before any byte of the body is waited for or kept, so a
///   peer cannot make the reader buffer more than one maximum-sized frame;
/// - a complete frame is validated as BSON (structure, nesting depth, UTF-8)
///   before it is handed on, by the BSON specification's rules: a NUL byte
///   inside a string is legal BSON, so it is not a framing error
///   (`decodeFrame` says where it is; the server refuses such text per
///   request, `Request.parse(_:)` of a `ReceivedFrame`);
/// - any violation throws a `FrameError`, after which the stream is unusable;
/// - bytes left at end of stream are a truncated frame.
///
/// Decoding is pure: feed it bytes in any split, it yields the same documents.
public struct BSONFrameDecoder: NIOSingleStepByteToMessageDecoder {
    public typealias InboundOut = BSONDocument

    /// The default and usual maximum: 16 MiB, MongoDB's own document limit.
    public static let defaultMaximumFrameBytes = 16 * 1024 * 1024

    public let maximumFrameBytes: Int
    public let maximumDepth: Int

    public init(maximumFrameBytes: Int = BSONFrameDecoder.defaultMaximumFrameBytes, maximumDepth: Int = BSONDocument.defaultMaxDepth) {
        self.maximumFrameBytes = maximumFrameBytes
        self.maximumDepth = maximumDepth
    }

    public mutating func decode(buffer: inout ByteBuffer) throws -> BSONDocument? {
        try decodeFrame(buffer: &buffer)?.document
    }

    /// The next whole frame, validated, with where its first NUL inside a
    /// string is; nil until all of it is in `buffer`.
    public func decodeFrame(buffer: inout ByteBuffer) throws(FrameError) -> ReceivedFrame? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, endianness: .little, as: Int32.self) else {
            return nil
        }
        guard length >= 5 else { throw .lengthTooSmall(length) }
        guard Int(length) <= maximumFrameBytes else {
            throw .lengthTooLarge(length: length, maximum: maximumFrameBytes)
        }
        guard let bytes = buffer.readBytes(length: Int(length)) else { return nil }
        return try ReceivedFrame(validating: bytes, maxDepth: maximumDepth)
    }

    public mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> BSONDocument? {
        if let document = try decode(buffer: &buffer) { return document }
        guard buffer.readableBytes > 0 else { return nil }
        let expected = buffer.getInteger(at: buffer.readerIndex, endianness: .little, as: Int32.self).map(Int.init) ?? 4
        throw FrameError.truncated(received: buffer.readableBytes, expected: expected)
    }
}

extension ByteBuffer {
    /// Appends an encoded document: the frame is the document's own bytes.
    public mutating func writeFrame(_ document: BSONDocument) {
        writeBytes(document.bytes)
    }
}
