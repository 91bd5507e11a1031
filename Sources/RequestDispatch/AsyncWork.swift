import BSONCore
import NIOCore
import WireProtocol

/// Runs a handler's store work as a task on the connection's event loop
/// (`EventLoopTaskExecutor`) and hands its result back there.
///
/// Work whose deadline has already passed when it would start is not started
/// (DEADLINE_EXCEEDED), so a backlog of expired requests cannot keep the store busy.
public enum AsyncWork {
    public static func run(_ context: RequestContext, _ body: @escaping @Sendable () async throws -> BSONDocument) -> HandlerResult {
        let promise = context.eventLoop.makePromise(of: BSONDocument.self)
        let deadline = context.deadline
        Task(executorPreference: EventLoopTaskExecutor.of(context.eventLoop)) {
            do {
                if let deadline, NIODeadline.now() >= deadline {
                    throw WireError(.deadlineExceeded, "deadline passed before the operation started; nothing was done")
                }
                promise.succeed(try await body())
            } catch {
                promise.fail(error)
            }
        }
        return .future(promise.futureResult)
    }
}
