import BSONCore
import Foundation

/// Reads the fields of a result document, turning a missing field or a field
/// of the wrong type into `DeltaStoreError.protocolViolation` (a server that
/// breaks its own specification), never a crash. Unknown fields are ignored.
struct ResultReader {
    let document: BSONDocument
    let op: String

    init(_ document: BSONDocument, op: String) {
        self.document = document
        self.op = op
    }

    private func violation(_ key: String, _ expected: String) -> DeltaStoreError {
        let found = document[key].map { $0.typeName } ?? "nothing"
        return .protocolViolation("\(op) result: '\(key)' should be \(expected), got \(found)")
    }

    func string(_ key: String) throws -> String {
        guard let value = document[key]?.stringValue else { throw violation(key, "a string") }
        return value
    }

    func optionalString(_ key: String) throws -> String? {
        switch document[key] {
        case nil, .null?: return nil
        case .string(let value)?: return value
        default: throw violation(key, "a string")
        }
    }

    func integer(_ key: String) throws -> Int64 {
        guard let value = document[key]?.integerValue else { throw violation(key, "an integer") }
        return value
    }

    func optionalInteger(_ key: String) throws -> Int64? {
        guard document[key] != nil else { return nil }
        return try integer(key)
    }

    func int(_ key: String) throws -> Int { Int(try integer(key)) }

    func double(_ key: String) throws -> Double {
        guard let value = document[key]?.numericValue else { throw violation(key, "a number") }
        return value
    }

    func bool(_ key: String) throws -> Bool {
        guard let value = document[key]?.boolValue else { throw violation(key, "a bool") }
        return value
    }

    func date(_ key: String) throws -> Date {
        guard let value = document[key]?.datetimeValue else { throw violation(key, "a datetime") }
        return Date(bsonMilliseconds: value)
    }

    func optionalDate(_ key: String) throws -> Date? {
        guard document[key] != nil else { return nil }
        return try date(key)
    }

    func subdocument(_ key: String) throws -> BSONDocument {
        guard let value = document[key]?.documentValue else { throw violation(key, "a document") }
        return value
    }

    func documents(_ key: String) throws -> [BSONDocument] {
        guard let array = document[key]?.arrayValue else { throw violation(key, "an array") }
        return try array.map { element in
            guard let document = element.documentValue else { throw violation(key, "an array of documents") }
            return document
        }
    }

    func integers(_ key: String) throws -> [Int64] {
        guard let array = document[key]?.arrayValue else { throw violation(key, "an array") }
        return try array.map { element in
            guard let value = element.integerValue else { throw violation(key, "an array of integers") }
            return value
        }
    }

    func strings(_ key: String) throws -> [String] {
        guard let array = document[key]?.arrayValue else { throw violation(key, "an array") }
        return try array.map { element in
            guard let string = element.stringValue else { throw violation(key, "an array of strings") }
            return string
        }
    }

    func reader(_ key: String) throws -> ResultReader {
        ResultReader(try subdocument(key), op: "\(op).\(key)")
    }
}
