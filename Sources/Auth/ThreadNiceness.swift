#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// The scheduling priority (nice value) of the calling thread alone.
///
/// bcrypt keeps a core busy for a fifth of a second per hash; at the normal
/// priority, a flood of logins on every core delays the event loops' wake-ups
/// by milliseconds (measured by `bench/run`: ping's p99 during logins went
/// from 0.13 ms to several ms). At nice 10 the scheduler lets a waking event
/// loop run at once, and bcrypt still gets all the CPU nothing else wants.
///
/// On Linux the nice value is per thread, and `setpriority(PRIO_PROCESS, 0, n)`
/// changes the calling thread only. Raising it needs no privilege; it can
/// never be lowered again without `CAP_SYS_NICE`, which is why only the
/// hashing pool's own threads call this.
public enum ThreadNiceness {
    /// The nice value of the hashing threads.
    public static let hashing: Int32 = 10

    private static let which = __priority_which_t(PRIO_PROCESS.rawValue)

    /// Sets the calling thread's nice value to at least `value`. Returns nil,
    /// or the `errno` text when the kernel (or a seccomp filter) refused.
    @discardableResult
    public static func raiseCurrentThread(to value: Int32) -> String? {
        errno = 0
        let current = getpriority(which, 0)
        if errno == 0, current >= value { return nil }
        guard setpriority(which, 0, value) == 0 else { return String(cString: strerror(errno)) }
        return nil
    }

    /// The calling thread's nice value.
    public static var currentThread: Int32 {
        getpriority(which, 0)
    }
}
