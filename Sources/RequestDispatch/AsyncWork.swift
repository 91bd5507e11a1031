import BSONCore
import NIOCore
import WireProtocol

/// Runs a handler's store work as a task and hands its result back to the
/// connection's event loop.
///
/// Work whose deadline has already passed when it would start is not started
/// (DEADLINE_EXCEEDED), so a backlog of expired requests cannot keep the store busy.
public enum AsyncWork {
    public static func run(_ context: RequestContext, _ body: @escaping @Sendable () async throws -> BSONDocument) -> HandlerResult {
        let promise = context.eventLoop.makePromise(of: BSONDocument.self)
        let deadline = context.deadline
        promise.completeWithTask {
            if let deadline, NIODeadline.now() >= deadline {
                throw WireError(.deadlineExceeded, "deadline passed before the operation started; nothing was done")
            }
            return try await body()
        }
        return .future(promise.futureResult)
    }
}
