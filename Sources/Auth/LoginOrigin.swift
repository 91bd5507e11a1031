import Domain

/// Who is trying a password, as throttling and the logs count it: the
/// connecting peer (its uid, from SO_PEERCRED), or — when a trusted front
/// such as an HTTP gateway forwards it — the end user behind that peer
/// (`client`, e.g. the HTTP client's address).
///
/// A front serves many people as one uid; without `client`, one person's
/// failures would throttle every user of the front. The daemon takes
/// `client` only from peers the access rules allow to forward identities
/// (group `forward`), so nobody else can pick the key they are counted under.
/// Keys of the two kinds never collide (`uid:1000` versus `client:…`).
public enum LoginOrigin: Hashable, Sendable, CustomStringConvertible {
    /// The peer itself; nil when the kernel gave no credentials (tests).
    case peer(uid: UInt32?)
    /// An end user identified by a forwarding peer.
    case client(String)

    /// Longest `client` accepted.
    public static let maximumClientLength = 64

    /// The key throttling counts under.
    public var key: String {
        switch self {
        case .peer(let uid?): return "uid:\(uid)"
        case .peer(nil): return "uid:-"
        case .client(let client): return "client:" + client
        }
    }

    public var description: String { key }

    /// Checks a `client` argument: 1 to 64 printable ASCII characters
    /// (U+0020 to U+007E). Errors name the field `field`.
    public static func checkClient(_ client: String, field: String = "client") throws(FieldError) {
        let bytes = client.utf8
        guard !bytes.isEmpty else { throw FieldError(field, "must not be empty") }
        guard bytes.count <= maximumClientLength else { throw FieldError(field, "longer than \(maximumClientLength) characters") }
        guard bytes.allSatisfy({ $0 >= 0x20 && $0 <= 0x7E }) else {
            throw FieldError(field, "must be printable ASCII (U+0020 to U+007E)")
        }
    }
}
