/// Sent down every connection's pipeline at shutdown: stop reading, answer what
/// is in progress, then close.
struct DrainEvent: Sendable {}
