import BSONCore
import NIOCore

/// A reply envelope: `{id, ok: true, result}` or `{id, ok: false, error}`.
///
/// Built by the server, parsed by clients; both directions live here so that
/// the two can never disagree about the shape.
public enum Reply: Sendable, Equatable {
    case success(id: RequestID, result: BSONDocument)
    /// `id` is absent only when the request's id could not be read (BAD_FRAME,
    /// or a BAD_REQUEST about the id itself).
    case failure(id: RequestID?, error: WireError)

    public var id: RequestID? {
        switch self {
        case .success(let id, _): return id
        case .failure(let id, _): return id
        }
    }

    public var isFailure: Bool {
        if case .failure = self { return true }
        return false
    }

    public var document: BSONDocument {
        switch self {
        case .success(let id, let result):
            return BSONDocument([("id", id.bsonValue), ("ok", .bool(true)), ("result", .document(result))])
        case .failure(let id, let error):
            var pairs: [(String, BSONValue)] = []
            if let id { pairs.append(("id", id.bsonValue)) }
            pairs.append(("ok", .bool(false)))
            pairs.append(("error", .document(error.document)))
            return BSONDocument(pairs)
        }
    }

    /// Reads a reply document; `nil` when it is not a reply envelope (a client
    /// treats that as a broken server and closes the connection).
    public init?(_ document: BSONDocument) {
        let id = document["id"].flatMap(RequestID.init)
        guard case .bool(let ok) = document["ok"] else { return nil }
        if ok {
            guard let id, case .document(let result) = document["result"] else { return nil }
            self = .success(id: id, result: result)
            return
        }
        guard case .document(let error) = document["error"],
              let codeText = error["code"]?.stringValue,
              let message = error["message"]?.stringValue
        else { return nil }
        // An unknown code from a newer server is reported as INTERNAL with its text kept.
        let code = ErrorCode(rawValue: codeText) ?? .internalError
        let text = ErrorCode(rawValue: codeText) == nil ? "\(codeText): \(message)" : message
        self = .failure(id: id, error: WireError(code, text, details: error["details"]?.documentValue))
    }
}

extension Reply {
    /// The size of the encoded envelope (`document.byteCount`), computed without encoding it.
    public var encodedByteCount: Int {
        var count = 4 + 1 + (1 + 3) + 1 // length, terminator, "ok" element
        if let id { count += Self.idElementSize(id) }
        switch self {
        case .success(_, let result): count += 1 + 7 + result.byteCount
        case .failure(_, let error): count += 1 + 6 + error.document.byteCount
        }
        return count
    }

    /// Writes the envelope into `buffer`: exactly the bytes of `document`, in
    /// the same key order, but without building an intermediate document
    /// (no libbson handle, no copy of `result` on the way). This is the
    /// server's per-reply path; `document` stays the reference.
    public func write(into buffer: inout ByteBuffer) {
        let start = buffer.writerIndex
        buffer.writeInteger(Int32(0), endianness: .little) // patched below
        if let id { Self.writeID(id, into: &buffer) }
        buffer.writeStaticString("\u{08}ok\0")
        switch self {
        case .success(_, let result):
            buffer.writeInteger(UInt8(1))
            buffer.writeStaticString("\u{03}result\0")
            buffer.writeBytes(result.bytes)
        case .failure(_, let error):
            buffer.writeInteger(UInt8(0))
            buffer.writeStaticString("\u{03}error\0")
            buffer.writeBytes(error.document.bytes)
        }
        buffer.writeInteger(UInt8(0))
        buffer.setInteger(Int32(buffer.writerIndex - start), at: start, endianness: .little)
    }

    /// Writes `{id, ok: true, result}` into `buffer` with the result document
    /// appended by `writeResult` in place (the same bytes as `write(into:)`
    /// of `.success(id:result:)`), and returns the reply's size. When
    /// `writeResult` returns false, `buffer` is left as it was and the
    /// result is nil.
    public static func writeSuccess(id: RequestID, into buffer: inout ByteBuffer, result writeResult: (inout ByteBuffer) -> Bool) -> Int? {
        let start = buffer.writerIndex
        buffer.writeInteger(Int32(0), endianness: .little) // patched below
        writeID(id, into: &buffer)
        buffer.writeStaticString(successHeadTail)
        return finishSuccess(startedAt: start, into: &buffer, result: writeResult)
    }

    /// `writeSuccess(id:into:result:)` with the request's `id` element
    /// copied as it is (`RequestEnvelope.idElement`: the same bytes as
    /// writing its value), and the reply's head written in one piece: the
    /// server's inline path.
    public static func writeSuccess(idElement: UnsafeRawBufferPointer, into buffer: inout ByteBuffer, result writeResult: (inout ByteBuffer) -> Bool) -> Int? {
        let start = buffer.writerIndex
        let tail = successHeadTail.utf8CodeUnitCount
        let head = 4 + idElement.count + tail
        buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: head) { out in
            // The length (patched below), the id element, then `ok: true, result:`.
            out.storeBytes(of: Int32(0), as: Int32.self)
            UnsafeMutableRawBufferPointer(rebasing: out[4..<(4 + idElement.count)]).copyMemory(from: idElement)
            successHeadTail.withUTF8Buffer { bytes in
                UnsafeMutableRawBufferPointer(rebasing: out[(4 + idElement.count)..<head]).copyMemory(from: UnsafeRawBufferPointer(bytes))
            }
            return head
        }
        return finishSuccess(startedAt: start, into: &buffer, result: writeResult)
    }

    /// `ok: true` and the key of `result`, between the `id` and the result document.
    private static var successHeadTail: StaticString { "\u{08}ok\0\u{01}\u{03}result\0" }

    private static func finishSuccess(startedAt start: Int, into buffer: inout ByteBuffer, result writeResult: (inout ByteBuffer) -> Bool) -> Int? {
        guard writeResult(&buffer) else {
            buffer.moveWriterIndex(to: start)
            return nil
        }
        buffer.writeInteger(UInt8(0))
        let size = buffer.writerIndex - start
        buffer.setInteger(Int32(truncatingIfNeeded: size), at: start, endianness: .little)
        return size
    }

    private static func writeID(_ id: RequestID, into buffer: inout ByteBuffer) {
        switch id {
        case .int32(let value):
            buffer.writeStaticString("\u{10}id\0")
            buffer.writeInteger(value, endianness: .little)
        case .int64(let value):
            buffer.writeStaticString("\u{12}id\0")
            buffer.writeInteger(value, endianness: .little)
        case .string(let value):
            buffer.writeStaticString("\u{02}id\0")
            buffer.writeInteger(Int32(value.utf8.count + 1), endianness: .little)
            buffer.writeString(value)
            buffer.writeInteger(UInt8(0))
        }
    }

    private static func idElementSize(_ id: RequestID) -> Int {
        switch id {
        case .int32: return 1 + 3 + 4
        case .int64: return 1 + 3 + 8
        case .string(let value): return 1 + 3 + 4 + value.utf8.count + 1
        }
    }
}
