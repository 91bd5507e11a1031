#if canImport(Glibc)
import Glibc
#endif

/// Takes log entries off the threads that log them (event loops above all) and
/// hands them to the journal on a thread of its own.
///
/// Sending to journald blocks when its socket's queue is full (a datagram
/// socket, or the stdout stream's pipe): a burst of failed requests, or a
/// journald that falls behind, would otherwise stall an event loop and every
/// connection on it. Here a log call only appends to a bounded queue. When
/// the queue is full the entry is dropped and counted, and the writer reports
/// the count (`N log entries dropped: the journal did not keep up`) as soon as
/// it can send again; nothing else waits for the journal.
public final class JournalQueue: @unchecked Sendable {
    /// One entry as it will be sent.
    public enum Entry: Sendable, Equatable {
        /// `KEY=value` fields for `sd_journal_sendv`.
        case fields([String])
        /// One `<N>`-prefixed line for the stderr stream, newline included.
        case line(String)
    }

    /// Entries waiting at most; beyond, entries are dropped and counted.
    public let capacity: Int
    private let send: @Sendable (Entry) -> Void
    private let notice: @Sendable (String) -> Entry
    // Guarded by `mutex`; `wake` is signalled when an entry arrives.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var waiting: [Entry] = []
    private var dropped = 0
    /// True while the writer sends a batch it has taken off the queue.
    private var sending = false

    /// Starts the writer thread; `send` runs on it, one entry at a time, and
    /// `notice` makes the warning entry that reports drops. The queue lives as
    /// long as the process: its writer holds it.
    public init(capacity: Int = 4096, notice: @escaping @Sendable (String) -> Entry, send: @escaping @Sendable (Entry) -> Void) {
        self.capacity = max(1, capacity)
        self.send = send
        self.notice = notice
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(wake, nil)
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        pthread_create(&thread, nil, { context in
            guard let context else { return nil }
            Unmanaged<JournalQueue>.fromOpaque(context).takeRetainedValue().writeForever()
            return nil
        }, context)
        pthread_detach(thread)
    }

    /// Queues `entry`; returns at once, whatever the journal does.
    public func enqueue(_ entry: Entry) {
        pthread_mutex_lock(mutex)
        if waiting.count >= capacity {
            dropped += 1
        } else {
            waiting.append(entry)
        }
        pthread_cond_signal(wake)
        pthread_mutex_unlock(mutex)
    }

    /// Waits until everything queued so far has been sent, or `seconds` pass
    /// (the last lines of a stopping daemon); true when the queue is empty.
    @discardableResult
    public func flush(seconds: Double = 2) -> Bool {
        let deadline = Self.monotonicSeconds() + seconds
        while true {
            pthread_mutex_lock(mutex)
            let idle = waiting.isEmpty && !sending && dropped == 0
            pthread_mutex_unlock(mutex)
            if idle { return true }
            if Self.monotonicSeconds() >= deadline { return false }
            usleep(1000)
        }
    }

    private func writeForever() {
        while true {
            pthread_mutex_lock(mutex)
            while waiting.isEmpty && dropped == 0 { pthread_cond_wait(wake, mutex) }
            let batch = waiting
            waiting.removeAll(keepingCapacity: true)
            let lost = dropped
            dropped = 0
            sending = true
            pthread_mutex_unlock(mutex)
            for entry in batch { send(entry) }
            if lost > 0 {
                let message = "\(lost) log entr\(lost == 1 ? "y" : "ies") dropped: the journal did not keep up"
                send(notice(message))
            }
            pthread_mutex_lock(mutex)
            sending = false
            pthread_mutex_unlock(mutex)
        }
    }

    private static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
