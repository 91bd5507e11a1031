/// Failures of a store, in terms the protocol can map to a code.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The store cannot be reached or is shutting down; retrying later may work.
    case unavailable(String)
    /// A uniqueness rule was broken (e.g. an email already registered).
    case conflict(String)
    /// The store reported something unexpected; logged by the daemon.
    case failure(String)

    public var description: String {
        switch self {
        case .unavailable(let s): return "store unavailable: \(s)"
        case .conflict(let s): return "conflict: \(s)"
        case .failure(let s): return "store failure: \(s)"
        }
    }
}
