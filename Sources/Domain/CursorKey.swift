import Crypto

/// The server's secret for cursors: it seals a `PageCursor` into the opaque
/// text clients get as `next`, and opens only what it sealed.
///
/// A sealed cursor is, in base64url without padding:
///
///     version (1 byte, 2) | timestamp (int64 LE) | key length (1) | record key
///     | query digest (16) | HMAC-SHA256 of everything before it (32)
///
/// The HMAC (swift-crypto) makes a made-up or altered cursor fail: the secret
/// never leaves the server (it lives in the state directory, see
/// `CursorKeyFile`), so nobody else can compute a valid code, and comparing
/// codes takes constant time. The query digest binds the cursor to its
/// query's `QueryIdentity`, an unambiguous encoding of every filter, the
/// range and the order: a cursor passed with another query is refused even
/// though its code is valid. A cursor holds no state in the server, and keeps
/// working across restarts as long as the secret stays.
public struct CursorKey: Sendable, CustomStringConvertible {
    private let key: SymmetricKey

    public static let secretBytes = 32
    static let version: UInt8 = 2
    static let macBytes = 32
    /// Version, timestamp, key length, digest and code: all but the record key.
    static let fixedBytes = 1 + 8 + 1 + QueryIdentity.digestBytes + macBytes
    /// The longest cursor text accepted (the protocol's limit).
    public static let maximumTokenBytes = 512

    /// A key from a secret of at least 32 bytes.
    public init?(secret: [UInt8]) {
        guard secret.count >= Self.secretBytes else { return nil }
        key = SymmetricKey(data: secret)
    }

    /// Never the secret: a key logged by mistake shows nothing.
    public var description: String { "cursor key" }

    /// The text given to clients as `next`.
    public func seal(_ cursor: PageCursor) -> String {
        var bytes: [UInt8] = [Self.version]
        let bits = UInt64(bitPattern: cursor.timestamp)
        for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift))) }
        let recordKey = cursor.recordKey.prefix(Int(UInt8.max))
        bytes.append(UInt8(recordKey.count))
        bytes += recordKey
        bytes += cursor.queryDigest.prefix(QueryIdentity.digestBytes)
        bytes += HMAC<SHA256>.authenticationCode(for: bytes, using: key)
        return Base64URL.encode(bytes)
    }

    /// The cursor a client sent, for the query with `identity`; a text this
    /// key did not seal, or sealed for another query, is refused naming
    /// `field`.
    public func open(_ token: String, for identity: QueryIdentity, field: String = "cursor") throws(FieldError) -> PageCursor {
        guard token.utf8.count <= Self.maximumTokenBytes, let bytes = Base64URL.decode(token),
              bytes.count >= Self.fixedBytes, bytes[0] == Self.version, bytes.count == Self.fixedBytes + Int(bytes[9])
        else {
            throw FieldError(field, "not a cursor issued by this server")
        }
        let body = bytes[..<(bytes.count - Self.macBytes)]
        let code = bytes[(bytes.count - Self.macBytes)...]
        guard HMAC<SHA256>.isValidAuthenticationCode(code, authenticating: body, using: key) else {
            throw FieldError(field, "cursor is damaged or was altered, or was not issued by this server")
        }
        let keyLength = Int(bytes[9])
        let digest = Array(body[(10 + keyLength)...])
        guard digest == identity.digest else { throw FieldError(field, PageCursor.otherQueryReason) }
        var bits: UInt64 = 0
        for index in 0..<8 { bits |= UInt64(bytes[1 + index]) << UInt64(8 * index) }
        return PageCursor(timestamp: Int64(bitPattern: bits), recordKey: Array(bytes[10..<(10 + keyLength)]), queryDigest: digest)
    }
}
