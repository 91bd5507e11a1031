/// The protocol's version numbers, in one place.
///
/// `hello` reports `protocol`; a client compares it with the version it was
/// written for (see "Versioning" in `proto-spec/PROTOCOL.md`).
public enum ProtocolVersion {
    /// The protocol version this build speaks.
    public static let current: Int32 = 1
    /// The server's release version.
    public static let serverVersion = "0.1.0"
    /// The server's name in `hello`.
    public static let serverName = "deltastored"
}
