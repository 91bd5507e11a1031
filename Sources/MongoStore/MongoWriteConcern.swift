import BSONCore
import Domain

/// The write concern every insert and index build is sent with
/// (`--mongo-write-concern`, default `majority`).
///
/// `majority` waits until a majority of a replica set's voting members have
/// the write, so an acknowledged batch survives a failover; a standalone
/// server (MongoDB 4.4+) accepts it as `w: 1`. `w: 0` is refused: an
/// unacknowledged insert cannot report duplicates.
public struct MongoWriteConcern: Sendable, Equatable, CustomStringConvertible {
    public enum Level: Sendable, Equatable {
        case majority
        case nodes(Int32)
        /// A replica set's custom write concern (settings.getLastErrorModes).
        case tag(String)
    }

    public var level: Level
    /// How long the server may wait for the write concern before answering
    /// with a write-concern error (`wtimeout`); not sent for `w: 1`.
    public var timeoutMS: Int32

    public static let defaultTimeoutMS: Int32 = 10_000

    public init(level: Level, timeoutMS: Int32 = MongoWriteConcern.defaultTimeoutMS) {
        self.level = level
        self.timeoutMS = timeoutMS
    }

    /// Parses `majority`, a number of members (1…50) or a tag name
    /// (`[A-Za-z0-9_-]`, 1–64 characters).
    public init(parsing text: String, timeoutMS: Int32 = MongoWriteConcern.defaultTimeoutMS) throws(FieldError) {
        let field = "--mongo-write-concern"
        if text == "majority" {
            self.init(level: .majority, timeoutMS: timeoutMS)
        } else if let number = Int32(text) {
            guard number >= 1 else {
                throw FieldError(field, "must be at least 1: w:0 writes are not acknowledged, so duplicates could not be reported")
            }
            guard number <= 50 else { throw FieldError(field, "a replica set has at most 50 members") }
            self.init(level: .nodes(number), timeoutMS: timeoutMS)
        } else {
            let allowed = text.utf8.allSatisfy { c in
                (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x5F || c == 0x2D
            }
            guard (1...64).contains(text.utf8.count), allowed else {
                throw FieldError(field, "must be 'majority', a number of members, or a write concern tag name")
            }
            self.init(level: .tag(text), timeoutMS: timeoutMS)
        }
    }

    /// The `writeConcern` document.
    public var document: BSONDocument {
        var pairs: [(String, BSONValue)] = []
        switch level {
        case .majority: pairs.append(("w", .string("majority")))
        case .nodes(let n): pairs.append(("w", .int32(n)))
        case .tag(let tag): pairs.append(("w", .string(tag)))
        }
        if level != .nodes(1) {
            pairs.append(("wtimeout", .int32(timeoutMS)))
        }
        return BSONDocument(pairs)
    }

    public var description: String {
        switch level {
        case .majority: return "majority"
        case .nodes(let n): return String(n)
        case .tag(let tag): return tag
        }
    }
}
