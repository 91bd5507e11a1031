import BSONCore
import Foundation

/// Builds an operation's `args`, leaving out the optional arguments not given
/// (an absent argument takes the server's default; `null` would be a type error).
struct ArgumentList {
    private(set) var pairs: [(String, BSONValue)] = []

    mutating func add(_ key: String, _ value: BSONValue?) {
        if let value { pairs.append((key, value)) }
    }

    mutating func add(_ key: String, _ value: String?) { add(key, value.map(BSONValue.string)) }
    mutating func add(_ key: String, _ value: Date?) { add(key, value.map { BSONValue.datetime($0.bsonMilliseconds) }) }
    mutating func add(_ key: String, _ value: Int?) { add(key, value.map { BSONValue.int64(Int64($0)) }) }
    mutating func add(_ key: String, _ value: Double?) { add(key, value.map(BSONValue.double)) }
    mutating func add(_ key: String, _ value: Bool?) { add(key, value.map(BSONValue.bool)) }

    var document: BSONDocument { BSONDocument(pairs) }
}

extension Array where Element == BSONDocument {
    /// The records of a batch as one BSON array value.
    var bsonArray: BSONValue { .array(map { .document($0) }) }
}
