import BSONCore
import Domain
import WireProtocol

/// Typed, strict access to an operation's `args`, with the rules every
/// operation shares: no unknown, duplicate, `$`-prefixed or dotted keys, exact
/// BSON types (a time is a datetime, an integer is int32/int64), ranges checked.
///
/// Every failure is INVALID_ARGUMENT with `details: {field, reason}`, so a client
/// learns which field to fix. Nothing in `args` is ever interpreted as an operator.
public struct Arguments: Sendable {
    /// In the order given. Unknown keys are refused, so there are at most as
    /// many as an operation allows (a handful): a linear scan beats hashing.
    private let values: [(key: String, value: BSONValue)]

    /// Checks the keys of `document` against `allowed` (an array: operations
    /// take a handful of arguments, and a literal array costs nothing to build,
    /// where a set would be hashed on every request).
    public init(_ document: BSONDocument, allowed: [String]) throws(WireError) {
        let values = document.elements
        var seen: Set<String>?
        for (index, element) in values.enumerated() {
            let key = element.key
            try Self.checkKey(key, path: key)
            guard allowed.contains(key) else {
                let known = allowed.isEmpty ? "this operation takes no arguments" : "allowed: \(allowed.sorted().joined(separator: ", "))"
                throw .invalidArgument(field: key, reason: "unknown argument (\(known))")
            }
            guard !FieldRules.repeats(values, at: index, seen: &seen) else {
                throw .invalidArgument(field: key, reason: "given more than once")
            }
        }
        // The elements of an array argument (the records of a batch) are
        // checked by their own rules, with their index.
        if let misnumbered = document.firstMisnumberedArray(intoArrayElements: false) {
            throw .invalidArgument(field: misnumbered.path, reason: misnumbered.reason)
        }
        self.values = values
    }

    /// Rejects keys that a document store could read as an operator or a path.
    public static func checkKey(_ key: String, path: String) throws(WireError) {
        if let problem = FieldRules.keyProblem(key) { throw .invalidArgument(field: path, reason: problem) }
    }

    public func has(_ name: String) -> Bool { value(name) != nil }

    public func value(_ name: String) -> BSONValue? { values.first { $0.key == name }?.value }

    public func string(_ name: String, required: Bool = false, maxBytes: Int = 1024) throws(WireError) -> String? {
        guard let value = try present(name, required: required) else { return nil }
        guard case .string(let s) = value else { throw Self.wrongType(name, "string", value) }
        guard s.utf8.count <= maxBytes else { throw .invalidArgument(field: name, reason: "longer than \(maxBytes) bytes") }
        return s
    }

    public func integer(_ name: String, required: Bool = false, in range: ClosedRange<Int64>) throws(WireError) -> Int64? {
        guard let value = try present(name, required: required) else { return nil }
        guard let v = value.integerValue else { throw Self.wrongType(name, "int32 or int64", value) }
        guard range.contains(v) else {
            throw .invalidArgument(field: name, reason: "must be between \(range.lowerBound) and \(range.upperBound), got \(v)")
        }
        return v
    }

    public func bool(_ name: String, required: Bool = false) throws(WireError) -> Bool? {
        guard let value = try present(name, required: required) else { return nil }
        guard case .bool(let b) = value else { throw Self.wrongType(name, "bool", value) }
        return b
    }

    /// A BSON UTC datetime, as milliseconds since the epoch. Strings and numbers
    /// are refused: only the CLI parses ISO-8601.
    public func datetime(_ name: String, required: Bool = false) throws(WireError) -> Int64? {
        guard let value = try present(name, required: required) else { return nil }
        guard case .datetime(let ms) = value else { throw Self.wrongType(name, "datetime", value) }
        return ms
    }

    public func document(_ name: String, required: Bool = false) throws(WireError) -> BSONDocument? {
        guard let value = try present(name, required: required) else { return nil }
        guard case .document(let d) = value else { throw Self.wrongType(name, "document", value) }
        return d
    }

    public func array(_ name: String, required: Bool = false) throws(WireError) -> [BSONValue]? {
        guard let value = try present(name, required: required) else { return nil }
        guard case .array(let a) = value else { throw Self.wrongType(name, "array", value) }
        return a
    }

    private func present(_ name: String, required: Bool) throws(WireError) -> BSONValue? {
        guard let value = value(name) else {
            if required { throw .invalidArgument(field: name, reason: "required") }
            return nil
        }
        return value
    }

    public static func wrongType(_ name: String, _ expected: String, _ value: BSONValue) -> WireError {
        .invalidArgument(field: name, reason: "must be \(expected), got \(value.typeName)")
    }
}
