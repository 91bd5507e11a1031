import ArgumentParser
import BSONCore
import DeltaStoreClient
import Foundation

/// Times on the command line: ISO-8601 in, ISO-8601 out. The protocol only
/// takes BSON datetimes; this is the one place that parses text into them.
enum TimeArgument {
    /// Parses `2025-01-30T09:15:00Z`, `2025-01-30T09:15:00.250+05:30`, or a bare
    /// date `2025-01-30` (midnight UTC), into milliseconds since the epoch.
    static func parse(_ text: String, option: String) throws -> Int64 {
        let withFraction = ISO8601DateFormatter()
        withFraction.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        let dateOnly = ISO8601DateFormatter()
        dateOnly.formatOptions = [.withFullDate]
        for formatter in [withFraction, plain, dateOnly] {
            if let date = formatter.date(from: text) {
                return Int64((date.timeIntervalSince1970 * 1000).rounded())
            }
        }
        throw ValidationError("\(option): '\(text)' is not an ISO-8601 time such as 2025-01-30T09:15:00Z or 2025-01-30")
    }

    /// Parses a duration such as `90s`, `10m`, `2h`, `7d` into milliseconds.
    static func duration(_ text: String, option: String) throws -> Int64 {
        let units: [Character: Int64] = ["s": 1000, "m": 60_000, "h": 3_600_000, "d": 86_400_000]
        guard let unit = text.last, let factor = units[unit], let amount = Int64(text.dropLast()), amount > 0, amount < 100_000 else {
            throw ValidationError("\(option): '\(text)' is not a duration such as 90s, 10m, 2h or 7d")
        }
        return amount * factor
    }

    static func nowMilliseconds() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1000).rounded())
    }

    /// `2025-01-30T09:15:00.250Z`.
    static func format(_ milliseconds: Int64) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.string(from: Date(timeIntervalSince1970: Double(milliseconds) / 1000))
    }
}

/// `--since`, `--start`, `--end` as every query subcommand takes them.
struct TimeRangeOptions: ParsableArguments {
    @Option(name: .long, help: "Only the last DURATION (90s, 10m, 2h, 7d).")
    var since: String?

    @Option(name: .long, help: "Earliest time, ISO-8601 (inclusive).")
    var start: String?

    @Option(name: .long, help: "Latest time, ISO-8601 (inclusive).")
    var end: String?

    func validate() throws {
        if since != nil && start != nil { throw ValidationError("give --since or --start, not both") }
    }

    /// The `start` and `end` of the query (nil where not given).
    func bounds() throws -> (start: Date?, end: Date?) {
        var start: Date?
        if let since {
            start = Date(bsonMilliseconds: TimeArgument.nowMilliseconds() - (try TimeArgument.duration(since, option: "--since")))
        } else if let text = self.start {
            start = Date(bsonMilliseconds: try TimeArgument.parse(text, option: "--start"))
        }
        let end = try self.end.map { Date(bsonMilliseconds: try TimeArgument.parse($0, option: "--end")) }
        return (start, end)
    }
}
