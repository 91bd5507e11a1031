import BSONCore
import Domain
import WireProtocol

/// An operation's `args`, checked against its descriptor's arguments (the one
/// list of an operation's argument names, types and required flags), with
/// the rules every operation shares: no unknown, duplicate, `$`-prefixed or
/// dotted keys, exact BSON types (a time is a datetime, an integer is
/// int32/int64), ranges checked.
///
/// `Operation.run` builds it before the handler runs, so a handler never sees
/// an unknown or repeated key. Whether an argument is required and what type
/// it has come from its declaration: a handler reads a required argument with
/// a `required…` reader, which returns the value itself (never an optional),
/// and an optional one with the plain reader. Presence and type are reported
/// when the handler reads the argument, so that of several errors the one
/// reported is the first in the order the spec gives for the operation
/// (PROTOCOL.md §14, "checked in this order"). A reader that disagrees with
/// the declaration (reads an undeclared argument, a required one as optional
/// or the reverse, or another type) is a bug of the server: `Misread`, which
/// the dispatcher logs and answers INTERNAL.
///
/// Every failure is INVALID_ARGUMENT with `details: {field, reason}`, so a client
/// learns which field to fix. Nothing in `args` is ever interpreted as an operator.
public struct Arguments: Sendable {
    /// In the order given. Unknown keys are refused, so there are at most as
    /// many as an operation declares (a handful): a linear scan beats hashing.
    private let values: [(key: String, value: BSONValue)]
    /// The operation's declared arguments (its descriptor's).
    public let declared: [OperationDescriptor.Argument]

    /// Checks the keys of `document` against `declared` (§11.1), in document
    /// order, and the numbering of its arrays (§11.3). An empty document is
    /// accepted without reading it (allocation-free).
    public init(_ document: BSONDocument, declared: [OperationDescriptor.Argument]) throws(WireError) {
        self.declared = declared
        guard !document.isEmpty else {
            self.values = []
            return
        }
        let values = document.elements
        var seen: Set<String>?
        for (index, element) in values.enumerated() {
            let key = element.key
            try Self.checkKey(key, path: key)
            guard declared.contains(where: { $0.name == key }) else {
                let known = declared.isEmpty ? "this operation takes no arguments" : "allowed: \(declared.map(\.name).sorted().joined(separator: ", "))"
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

    /// `document` checked against `descriptor`'s arguments.
    public init(_ document: BSONDocument, of descriptor: OperationDescriptor) throws(WireError) {
        try self.init(document, declared: descriptor.arguments)
    }

    /// Rejects keys that a document store could read as an operator or a path.
    public static func checkKey(_ key: String, path: String) throws(WireError) {
        if let problem = FieldRules.keyProblem(key) { throw .invalidArgument(field: path, reason: problem) }
    }

    /// The value of `name` as given, unchecked (for tests and diagnostics:
    /// handlers use the readers below).
    public func value(_ name: String) -> BSONValue? { values.first { $0.key == name }?.value }

    // MARK: - Reading against the declaration

    /// A reader that disagrees with the operation's descriptor: a bug of the
    /// server, never of the request (answered INTERNAL and logged).
    public struct Misread: Error, CustomStringConvertible {
        public let description: String
    }

    /// The value of the optional argument `name`, which the handler reads as
    /// `type` (descriptor notation, e.g. `"int32|int64"`), or nil when absent.
    public func optional(_ name: String, type: String) throws -> BSONValue? {
        try check(name, type: type, required: false)
        return value(name)
    }

    /// The value of the required argument `name`, read as `type`; its absence
    /// is INVALID_ARGUMENT "required".
    public func required(_ name: String, type: String) throws -> BSONValue {
        try check(name, type: type, required: true)
        guard let value = value(name) else { throw WireError.invalidArgument(field: name, reason: "required") }
        return value
    }

    private func check(_ name: String, type: String, required: Bool) throws {
        guard let declaration = declared.first(where: { $0.name == name }) else {
            throw Misread(description: "the handler reads argument '\(name)', which its descriptor does not declare")
        }
        guard declaration.required == required else {
            throw Misread(description: "the handler reads argument '\(name)' as \(required ? "required" : "optional"), its descriptor declares it \(declaration.required ? "required" : "optional")")
        }
        guard declaration.type == type else {
            throw Misread(description: "the handler reads argument '\(name)' as \(type), its descriptor declares \(declaration.type)")
        }
    }

    // MARK: - Typed readers

    public func string(_ name: String, maxBytes: Int = 1024) throws -> String? {
        try optional(name, type: "string").map { value throws in try Self.string(name, value, maxBytes: maxBytes) }
    }

    public func requiredString(_ name: String, maxBytes: Int = 1024) throws -> String {
        try Self.string(name, try required(name, type: "string"), maxBytes: maxBytes)
    }

    public func integer(_ name: String, in range: ClosedRange<Int64>) throws -> Int64? {
        guard let value = try optional(name, type: "int32|int64") else { return nil }
        guard let v = value.integerValue else { throw Self.wrongType(name, "int32 or int64", value) }
        guard range.contains(v) else {
            throw WireError.invalidArgument(field: name, reason: "must be between \(range.lowerBound) and \(range.upperBound), got \(v)")
        }
        return v
    }

    public func bool(_ name: String) throws -> Bool? {
        guard let value = try optional(name, type: "bool") else { return nil }
        guard case .bool(let b) = value else { throw Self.wrongType(name, "bool", value) }
        return b
    }

    /// A BSON UTC datetime, as milliseconds since the epoch. Strings and numbers
    /// are refused: only the CLI parses ISO-8601.
    public func datetime(_ name: String) throws -> Int64? {
        guard let value = try optional(name, type: "datetime") else { return nil }
        guard case .datetime(let ms) = value else { throw Self.wrongType(name, "datetime", value) }
        return ms
    }

    /// An array argument declared `type` (`array<T>`: its elements are the caller's to check).
    public func array(_ name: String, type: String) throws -> [BSONValue]? {
        guard let value = try optional(name, type: type) else { return nil }
        return try Self.array(name, value)
    }

    /// A required array argument declared `type` (`array<T>`: its elements are the caller's to check).
    public func requiredArray(_ name: String, type: String) throws -> [BSONValue] {
        try Self.array(name, try required(name, type: type))
    }

    private static func string(_ name: String, _ value: BSONValue, maxBytes: Int) throws(WireError) -> String {
        guard case .string(let s) = value else { throw wrongType(name, "string", value) }
        guard s.utf8.count <= maxBytes else { throw .invalidArgument(field: name, reason: "longer than \(maxBytes) bytes") }
        return s
    }

    private static func array(_ name: String, _ value: BSONValue) throws(WireError) -> [BSONValue] {
        guard case .array(let a) = value else { throw wrongType(name, "array", value) }
        return a
    }

    public static func wrongType(_ name: String, _ expected: String, _ value: BSONValue) -> WireError {
        .invalidArgument(field: name, reason: "must be \(expected), got \(value.typeName)")
    }
}
