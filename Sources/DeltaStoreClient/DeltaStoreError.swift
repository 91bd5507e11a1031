import BSONCore
import WireProtocol

/// What a call through the client can fail with: an error reply from the
/// server (with its protocol code), or a connection-level failure.
public enum DeltaStoreError: Error, Sendable, CustomStringConvertible {
    /// The server answered `ok: false`.
    case server(WireError)
    /// The connection could not be opened, or was closed before the reply came.
    case connection(String)
    /// The server sent something that is not a reply envelope.
    case protocolViolation(String)

    /// The protocol error code, for error replies.
    public var code: ErrorCode? {
        if case .server(let error) = self { return error.code }
        return nil
    }

    public var description: String {
        switch self {
        case .server(let error): return error.description
        case .connection(let reason): return "connection: \(reason)"
        case .protocolViolation(let reason): return "protocol violation: \(reason)"
        }
    }
}
