import BSONCore

/// Where a page ended: the (timestamp, record key) of its last record, bound to
/// the query it came from.
///
/// Pagination is keyset, never skip: the next page continues strictly after
/// this position in the query's order, so every record that existed when the
/// first page was read comes exactly once even while new records arrive. The
/// record key is the store's own tiebreaker (SQLite rowid, MongoDB ObjectId),
/// opaque here.
///
/// On the wire a cursor is an opaque string (base64url). It carries a checksum
/// and a fingerprint of the query, so a cursor that was altered or that is
/// passed to a different query is refused. The checksum guards against
/// mistakes, not attackers: a cursor grants nothing a query could not ask for.
public struct PageCursor: Sendable, Equatable {
    public var timestamp: Int64
    public var recordKey: [UInt8]
    public var queryFingerprint: UInt64

    public init(timestamp: Int64, recordKey: [UInt8], queryFingerprint: UInt64) {
        self.timestamp = timestamp
        self.recordKey = recordKey
        self.queryFingerprint = queryFingerprint
    }

    static let version: UInt8 = 1

    /// The opaque text given to clients.
    public var token: String {
        var bytes: [UInt8] = [Self.version]
        bytes += Self.littleEndian(queryFingerprint)
        bytes += Self.littleEndian(UInt64(bitPattern: timestamp))
        bytes.append(UInt8(recordKey.count))
        bytes += recordKey
        bytes += Self.littleEndian(Fingerprint.of(bytes))
        return Base64URL.encode(bytes)
    }

    /// Decodes a client's cursor for the query with `fingerprint`.
    public init(token: String, expectedFingerprint: UInt64, field: String = "cursor") throws(FieldError) {
        guard token.utf8.count <= 256, let bytes = Base64URL.decode(token), bytes.count >= 1 + 8 + 8 + 1 + 8 else {
            throw FieldError(field, "not a cursor issued by this server")
        }
        let body = Array(bytes.dropLast(8))
        guard Self.readUInt64(bytes, at: bytes.count - 8) == Fingerprint.of(body), body[0] == Self.version else {
            throw FieldError(field, "cursor is damaged or was altered")
        }
        let keyLength = Int(body[17])
        guard body.count == 18 + keyLength else { throw FieldError(field, "cursor is damaged or was altered") }
        let fingerprint = Self.readUInt64(body, at: 1)
        guard fingerprint == expectedFingerprint else {
            throw FieldError(field, "cursor belongs to a different query (same filters and order are required)")
        }
        self.queryFingerprint = fingerprint
        self.timestamp = Int64(bitPattern: Self.readUInt64(body, at: 9))
        self.recordKey = Array(body[18...])
    }

    static func littleEndian(_ value: UInt64) -> [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) }
    }

    static func readUInt64(_ bytes: [UInt8], at offset: Int) -> UInt64 {
        var value: UInt64 = 0
        for i in 0..<8 { value |= UInt64(bytes[offset + i]) << (8 * i) }
        return value
    }
}

/// 64-bit FNV-1a: the query fingerprint and the cursor checksum. Not a MAC.
public enum Fingerprint {
    public static func of(_ bytes: [UInt8]) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }

    /// Fingerprint of a query's identifying parts (kind, filters, order).
    public static func of(_ parts: [String]) -> UInt64 {
        of(Array(parts.joined(separator: "\u{1F}").utf8))
    }
}

/// URL-safe base64 without padding (RFC 4648 §5).
public enum Base64URL {
    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)

    public static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity((bytes.count * 4 + 2) / 3)
        var index = 0
        while index + 3 <= bytes.count {
            let n = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)], alphabet[Int(n & 63)]]
            index += 3
        }
        let rest = bytes.count - index
        if rest == 1 {
            let n = UInt32(bytes[index]) << 16
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)]]
        } else if rest == 2 {
            let n = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8
            out += [alphabet[Int(n >> 18 & 63)], alphabet[Int(n >> 12 & 63)], alphabet[Int(n >> 6 & 63)]]
        }
        return String(decoding: out, as: UTF8.self)
    }

    public static func decode(_ text: String) -> [UInt8]? {
        var values = [UInt8]()
        values.reserveCapacity(text.utf8.count)
        for c in text.utf8 {
            switch c {
            case 0x41...0x5A: values.append(c - 0x41)
            case 0x61...0x7A: values.append(c - 0x61 + 26)
            case 0x30...0x39: values.append(c - 0x30 + 52)
            case 0x2D: values.append(62)
            case 0x5F: values.append(63)
            default: return nil
            }
        }
        guard values.count % 4 != 1 else { return nil }
        var out = [UInt8]()
        var index = 0
        while index < values.count {
            let chunk = values[index..<min(index + 4, values.count)]
            var n: UInt32 = 0
            for (offset, value) in chunk.enumerated() { n |= UInt32(value) << (18 - 6 * offset) }
            out.append(UInt8(n >> 16 & 0xFF))
            if chunk.count > 2 { out.append(UInt8(n >> 8 & 0xFF)) }
            if chunk.count > 3 { out.append(UInt8(n & 0xFF)) }
            index += 4
        }
        // Reject non-canonical encodings (stray low bits), so one cursor has one spelling.
        guard encode(out) == text else { return nil }
        return out
    }
}
