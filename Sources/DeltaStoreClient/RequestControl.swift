import NIOCore
import WireProtocol

/// Outbound event that withdraws a waiting request: its caller gets `error`
/// now, and a reply that comes later for its id is discarded. The id stays
/// reserved (ids come from a counter and are never reused), as §6 requires.
struct WithdrawRequest: Sendable {
    let id: RequestID
    let error: any Error
}

/// Thrown when a request was refused before any byte of it was written
/// (the connection was already closed): it may be sent again elsewhere.
struct RequestNotSent: Error {
    let reason: DeltaStoreError
}
