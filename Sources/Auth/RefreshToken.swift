import Crypto

/// Refresh tokens: 32 random bytes in base64url (43 characters), opaque to
/// clients, and stored only as their SHA-256.
///
/// A refresh token is never a JWT and an access token is never looked up as a
/// refresh token: the shapes differ (no '.'), and each side refuses the other
/// before touching a key or the store.
public enum RefreshToken {
    public static let byteCount = 32
    public static let encodedLength = 43

    public static func generate() -> String {
        Base64URL.encode(SecureRandom.bytes(byteCount))
    }

    /// 43 characters of the base64url alphabet, canonical.
    public static func isWellFormed(_ token: String) -> Bool {
        let bytes = Array(token.utf8)
        guard bytes.count == encodedLength, bytes.allSatisfy(Base64URL.isAlphabet) else { return false }
        return Base64URL.decode(bytes: bytes)?.count == byteCount
    }

    /// SHA-256 of the token's text: what the store keeps and looks up.
    public static func hash(_ token: String) -> [UInt8] {
        Array(SHA256.hash(data: Array(token.utf8)))
    }

    /// A short, non-reversible reference to a secret or an email for logs
    /// (the first 6 bytes of its SHA-256, in hex).
    public static func logReference(_ text: String) -> String {
        SecureRandom.hex(SHA256.hash(data: Array(text.utf8)).prefix(6))
    }
}
