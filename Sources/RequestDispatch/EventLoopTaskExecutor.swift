import NIOConcurrencyHelpers
import NIOCore

/// Runs a task's jobs on one NIO event loop, so that a handler's store work
/// (`AsyncWork.run`) starts on the connection's loop and, when the store's
/// thread pool resumes it, comes back to that loop directly.
///
/// Without it a request took four thread hand-offs — the event loop to the
/// global concurrent executor, to the store's thread pool, back to the
/// global executor, back to the loop — each a futex wake-up and a context
/// switch; with it, two (to the pool and back). What the task runs on the
/// loop between its `await`s is the handler's cheap part (building the reply
/// document); the blocking part stays on the pool.
final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
    // @unchecked: `loop` is immutable and EventLoop is thread-safe.
    let loop: any EventLoop

    private init(loop: any EventLoop) {
        self.loop = loop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }

    /// One executor per event loop, made on first use and kept (the daemon's
    /// loops live as long as it does).
    private static let executors = NIOLockedValueBox<[ObjectIdentifier: EventLoopTaskExecutor]>([:])

    static func of(_ loop: any EventLoop) -> EventLoopTaskExecutor {
        let key = ObjectIdentifier(loop as AnyObject)
        return executors.withLockedValue { executors in
            if let executor = executors[key] { return executor }
            let executor = EventLoopTaskExecutor(loop: loop)
            executors[key] = executor
            return executor
        }
    }
}
