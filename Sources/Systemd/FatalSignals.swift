#if canImport(Glibc)
import Glibc
#endif

/// Makes a fatal signal sent from outside — systemd's watchdog SIGABRT,
/// `kill -ABRT`, `kill -QUIT` — end the process once the Swift runtime has
/// written its backtrace.
///
/// The Swift runtime's crash handler (the backtracer, `SWIFT_BACKTRACE`)
/// prints the backtrace and then *returns*: for a fault of the program itself
/// the faulting instruction runs again and the process dies, but a signal sent
/// by another process is simply over, and the daemon carries on. Under systemd
/// that turns a watchdog kill into a hang until `TimeoutAbortSec=` (30 s)
/// ends in SIGKILL, and every crash restart costs 30 s more. This chains a
/// handler in front of the runtime's: it runs the runtime's handler (so the
/// backtrace still comes), then restores the default action and raises the
/// signal again, so the process terminates with it (core dump included, as
/// the limits allow) and systemd restarts it at once.
///
/// Inert when the runtime installed no handler (`SWIFT_BACKTRACE=enable=no`,
/// or a backtracer that is off): the default actions already terminate.
public enum FatalSignals {
    /// The signals the Swift runtime's crash handler takes.
    public static let handled: [Int32] = [SIGQUIT, SIGABRT, SIGBUS, SIGFPE, SIGILL, SIGSEGV, SIGTRAP]

    /// Installs the chained handler for each of `handled` that has the
    /// runtime's handler; returns the signals it chained. Call once, early.
    @discardableResult
    public static func terminateAfterBacktrace() -> [Int32] {
        let saved = runtimeActions
        var chained: [Int32] = []
        for signal in handled {
            var current = sigaction()
            guard sigaction(signal, nil, &current) == 0, current.sa_flags & SA_SIGINFO != 0,
                  current.__sigaction_handler.sa_sigaction != nil
            else { continue }
            saved[Int(signal)] = current
            var chain = sigaction()
            chain.__sigaction_handler.sa_sigaction = chainedHandler
            chain.sa_mask = current.sa_mask
            chain.sa_flags = current.sa_flags | SA_SIGINFO | SA_NODEFER | SA_ONSTACK
            if sigaction(signal, &chain, nil) == 0 { chained.append(signal) }
        }
        return chained
    }
}

/// The runtime's actions by signal number, read by the handler: allocated
/// once (before any handler is installed) and never freed or resized, so the
/// handler only loads from it. Written only by `terminateAfterBacktrace`
/// before it installs the handler that reads the entry.
nonisolated(unsafe) private let runtimeActions: UnsafeMutablePointer<sigaction> = {
    let actions = UnsafeMutablePointer<sigaction>.allocate(capacity: 65)
    actions.initialize(repeating: sigaction(), count: 65)
    return actions
}()

/// Runs the runtime's handler, then dies of the signal. Only
/// async-signal-safe calls: the runtime's own handler, `signal`, `raise`.
private let chainedHandler: @convention(c) (Int32, UnsafeMutablePointer<siginfo_t>?, UnsafeMutableRawPointer?) -> Void = { signal, info, context in
    if signal > 0, signal < 65, let runtime = runtimeActions[Int(signal)].__sigaction_handler.sa_sigaction {
        runtime(signal, info, context)
    }
    _ = Glibc.signal(signal, SIG_DFL)
    _ = raise(signal)
}
