import BSONCore
import NIOCore
import WireProtocol

/// What a handler produced: a result now, or one later.
///
/// Cheap operations answer on the event loop without allocating a future;
/// store and hashing work returns a future completed from a thread pool.
public enum HandlerResult: Sendable {
    case value(BSONDocument)
    case future(EventLoopFuture<BSONDocument>)
}

/// A handler: reads its arguments, already checked against the operation's
/// descriptor (`Arguments`: names, and each argument's presence and type as
/// it reads it), applies the operation's own rules and does the work. It
/// throws `WireError` (or anything `WireErrorConvertible`) for an error
/// reply. It runs on the connection's event loop, so it must never block:
/// blocking C calls go to a thread pool and come back as `.future`.
public typealias OperationHandler = @Sendable (Arguments, RequestContext) throws -> HandlerResult

/// The common, cheap case of an operation, answered from the request's bytes
/// where they arrived (`args` is nil when the request has none): it appends
/// the result document to `result` and returns true, or appends nothing and
/// returns false, and the request goes to the operation's `handler`, which
/// answers every case (errors included). So an inline handler decides nothing
/// the handler would decide differently; it only answers sooner — with no
/// heap allocation on the server's request path (`ping`, `hello`, a cached
/// `auth.verify`). It runs on the connection's event loop: it must not block.
public typealias InlineHandler = @Sendable (_ args: BSONDocumentView?, _ result: inout ByteBuffer) -> Bool

/// An operation: its public description and its handler, registered together so
/// that `hello` and `describe` list exactly what the server answers, and so
/// that the descriptor's argument list is the only one: `run` checks a
/// request's `args` against it before the handler sees them.
public struct Operation: Sendable {
    public var descriptor: OperationDescriptor
    public var handler: OperationHandler
    /// The fast path of the common case, if the operation has one.
    public var inline: InlineHandler?

    public init(_ descriptor: OperationDescriptor, inline: InlineHandler? = nil, handler: @escaping OperationHandler) {
        self.descriptor = descriptor
        self.inline = inline
        self.handler = handler
    }

    public var name: String { descriptor.name }

    /// Checks `args` against the descriptor's arguments (unknown, repeated,
    /// `$`-prefixed, dotted and empty keys; misnumbered arrays: §11.1,
    /// §11.3), then runs the handler on the checked `Arguments`.
    public func run(_ args: BSONDocument, context: RequestContext) throws -> HandlerResult {
        try handler(try Arguments(args, of: descriptor), context)
    }
}

/// Errors from lower layers (stores, auth) that know their protocol code.
public protocol WireErrorConvertible: Error {
    var wireError: WireError { get }
}
