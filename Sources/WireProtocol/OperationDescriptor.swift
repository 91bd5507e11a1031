import BSONCore

/// What one operation takes, returns and may fail with: the data behind
/// `describe`, the CLI's help and generated client code.
///
/// Every operation the server has is described by one of these, so the
/// self-description can never fall behind the handlers.
public struct OperationDescriptor: Sendable {
    /// Which access group an operation belongs to; access rules are written per group.
    public enum Group: String, Sendable, CaseIterable {
        /// `hello`, `ping`, `describe`: anyone who can connect.
        case `public`
        case read
        case write
        case auth
        case admin
        /// No operation of its own: a permission, that of naming the end user
        /// behind a front (`client` in `auth.login` and `auth.register`).
        case forward
    }

    /// One argument: its name, its BSON type(s) as text, and whether it is required.
    public struct Argument: Sendable {
        public var name: String
        public var type: String
        public var required: Bool
        public var summary: String

        public init(_ name: String, _ type: String, required: Bool = false, _ summary: String) {
            self.name = name
            self.type = type
            self.required = required
            self.summary = summary
        }
    }

    public var name: String
    public var group: Group
    public var summary: String
    public var arguments: [Argument]
    /// The result document's shape, in the notation of the spec (`{pong: bool}`).
    public var result: String
    /// The codes this operation can answer with, beyond those any request can get.
    public var errors: [ErrorCode]

    public init(name: String, group: Group, summary: String, arguments: [Argument] = [], result: String, errors: [ErrorCode] = []) {
        self.name = name
        self.group = group
        self.summary = summary
        self.arguments = arguments
        self.result = result
        self.errors = errors
    }

    /// Codes any request can get whatever its operation.
    public static let commonErrors: [ErrorCode] = [
        .badRequest, .unknownOp, .invalidArgument, .permissionDenied,
        .deadlineExceeded, .resourceExhausted, .unavailable, .internalError,
    ]

    /// The descriptor as `describe` returns it.
    public var document: BSONDocument {
        let args: [BSONValue] = arguments.map { argument in
            .document([
                "name": .string(argument.name),
                "type": .string(argument.type),
                "required": .bool(argument.required),
                "summary": .string(argument.summary),
            ])
        }
        return [
            "name": .string(name),
            "group": .string(group.rawValue),
            "summary": .string(summary),
            "args": .array(args),
            "result": .string(result),
            "errors": .array(errors.map { .string($0.rawValue) }),
        ]
    }
}
