import Logging
import NIOConcurrencyHelpers
import NIOCore

/// The log lines that tell an operator the memory budget was reached and
/// when it was available again: at most one pair every `interval`, however
/// often the budget fills and empties under an attack.
final class PressureLog: Sendable {
    private let logger: Logger
    private let limit: Int
    private let stallTimeout: TimeAmount
    private let interval: TimeAmount
    private let state = NIOLockedValueBox(State())

    private struct State {
        var lastExhausted: NIODeadline?
        var reported = false
    }

    init(logger: Logger, limit: Int, stallTimeout: TimeAmount, interval: TimeAmount = .seconds(10)) {
        self.logger = logger
        self.limit = limit
        self.stallTimeout = stallTimeout
        self.interval = interval
    }

    func changed(exhausted: Bool, used: Int) {
        let now = NIODeadline.now()
        let say: Bool = state.withLockedValue { state in
            if exhausted {
                guard state.lastExhausted.map({ now - $0 >= interval }) ?? true else { return false }
                state.lastExhausted = now
                state.reported = true
                return true
            }
            defer { state.reported = false }
            return state.reported
        }
        guard say else { return }
        if exhausted {
            logger.notice(
                "memory budget reached: \(used) of \(limit) bytes held by frames, requests and unsent replies; the connections holding the most wait, and one that holds memory without progress for \(stallTimeout.nanoseconds / 1_000_000) ms is closed",
                metadata: ["used_bytes": "\(used)", "limit_bytes": "\(limit)"]
            )
        } else {
            logger.info("memory budget available again: \(used) of \(limit) bytes held", metadata: ["used_bytes": "\(used)", "limit_bytes": "\(limit)"])
        }
    }
}
