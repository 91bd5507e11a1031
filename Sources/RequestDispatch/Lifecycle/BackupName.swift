#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import WireProtocol

/// The name of a backup: 1 to 64 of `A-Z a-z 0-9 . _ -`, not starting with a
/// dot (no hidden files, no `.` or `..`); by default the UTC time it was asked
/// for, e.g. `20261203T124501.123Z`.
///
/// It exists so that a client-chosen name can never leave the backup
/// directory (no `/`) nor collide with the temporary file of a running backup
/// (those start with a dot).
public enum BackupName {
    public static let maxLength = 64

    /// `text` if it is a valid name, else INVALID_ARGUMENT naming `name`.
    public static func validate(_ text: String) throws(WireError) -> String {
        let bytes = Array(text.utf8)
        guard (1...maxLength).contains(bytes.count) else {
            throw WireError.invalidArgument(field: "name", reason: "must be 1 to \(maxLength) characters, got \(bytes.count)")
        }
        guard bytes.allSatisfy(isAllowed) else {
            throw WireError.invalidArgument(field: "name", reason: "may hold only A-Z a-z 0-9 . _ -")
        }
        guard bytes[0] != UInt8(ascii: ".") else {
            throw WireError.invalidArgument(field: "name", reason: "must not start with '.'")
        }
        return text
    }

    static func isAllowed(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        case UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    /// `YYYYMMDDTHHMMSS.mmmZ` of `milliseconds` since the epoch (UTC).
    public static func timestamp(milliseconds: Int64) -> String {
        let (seconds, millis) = milliseconds.quotientAndRemainder(dividingBy: 1000)
        let (days, secondOfDay) = seconds.quotientAndRemainder(dividingBy: 86_400)
        let (year, month, day) = civil(days: days)
        func two(_ n: Int64) -> String { n < 10 ? "0\(n)" : "\(n)" }
        let ms = millis < 10 ? "00\(millis)" : millis < 100 ? "0\(millis)" : "\(millis)"
        return "\(year)\(two(month))\(two(day))T\(two(secondOfDay / 3600))\(two(secondOfDay % 3600 / 60))\(two(secondOfDay % 60)).\(ms)Z"
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01 (for days ≥ 0).
    static func civil(days: Int64) -> (year: Int64, month: Int64, day: Int64) {
        let z = days + 719_468
        let era = z / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// Now, in milliseconds since the epoch.
    public static func nowMilliseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}
