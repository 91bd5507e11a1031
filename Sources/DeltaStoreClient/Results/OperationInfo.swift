import BSONCore

/// One operation as `describe` reports it: its group, arguments, result shape
/// and the error codes it adds.
public struct OperationInfo: Sendable, Equatable {
    /// One argument of an operation.
    public struct Argument: Sendable, Equatable {
        public var name: String
        /// BSON type names joined by `|`, e.g. `"int32|int64"`.
        public var type: String
        public var required: Bool
        public var summary: String
    }

    public var name: String
    /// `public`, `read`, `write`, `auth` or `admin`.
    public var group: String
    public var summary: String
    public var arguments: [Argument]
    public var result: String
    public var errors: [String]

    init(_ document: BSONDocument) throws {
        let reader = ResultReader(document, op: "describe")
        name = try reader.string("name")
        group = try reader.string("group")
        summary = try reader.string("summary")
        arguments = try reader.documents("args").map { argument in
            let field = ResultReader(argument, op: "describe.args")
            return Argument(name: try field.string("name"), type: try field.string("type"), required: try field.bool("required"), summary: try field.string("summary"))
        }
        result = try reader.string("result")
        errors = try reader.strings("errors")
    }
}
