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

/// A handler: validates its arguments and does the work. It throws `WireError`
/// (or anything `WireErrorConvertible`) for an error reply. It runs on the
/// connection's event loop, so it must never block: blocking C calls go to a
/// thread pool and come back as `.future`.
public typealias OperationHandler = @Sendable (BSONDocument, RequestContext) throws -> HandlerResult

/// An operation: its public description and its handler, registered together so
/// that `hello` and `describe` list exactly what the server answers.
public struct Operation: Sendable {
    public var descriptor: OperationDescriptor
    public var handler: OperationHandler

    public init(_ descriptor: OperationDescriptor, handler: @escaping OperationHandler) {
        self.descriptor = descriptor
        self.handler = handler
    }

    public var name: String { descriptor.name }
}

/// Errors from lower layers (stores, auth) that know their protocol code.
public protocol WireErrorConvertible: Error {
    var wireError: WireError { get }
}
