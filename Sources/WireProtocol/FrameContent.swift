import BSONCore

/// One frame as the server takes it in: the document, which the BSON
/// specification calls valid, and where its first NUL inside a string is,
/// if it has one.
///
/// A NUL byte inside a length-prefixed string is legal BSON (the BSON corpus
/// lists such documents as valid), so it is never a framing error. deltastore
/// does not store or run such text — a NUL cuts a string for every C consumer
/// of it — and refuses it as an error of the request instead, answered with
/// the request's `id` (`Request.parse(_:)` of a frame, PROTOCOL.md §3.2, §4.2).
public struct ReceivedFrame: Sendable {
    public var document: BSONDocument
    /// Keys from the top of the document down to the first value holding a
    /// NUL byte (array indexes as their keys); nil when there is none.
    public var firstEmbeddedNUL: [String]?

    public init(document: BSONDocument, firstEmbeddedNUL: [String]? = nil) {
        self.document = document
        self.firstEmbeddedNUL = firstEmbeddedNUL
    }

    /// Validates one whole frame read in place (§3.2 steps 3 to 5); returns
    /// the path of its first NUL inside a string, if any.
    public static func validate(_ bytes: UnsafeRawBufferPointer, maxDepth: Int = BSONDocument.defaultMaxDepth) throws(FrameError) -> [String]? {
        do {
            return try BSONDocument.validateSpecification(bytes, maxDepth: maxDepth)
        } catch {
            throw FrameError.invalidDocument(error.description)
        }
    }

    /// Validates one whole frame (§3.2 steps 3 to 5).
    public init(validating bytes: [UInt8], maxDepth: Int = BSONDocument.defaultMaxDepth) throws(FrameError) {
        do {
            let (document, nul) = try BSONDocument.validatingSpecification(bytes, maxDepth: maxDepth)
            self.init(document: document, firstEmbeddedNUL: nul)
        } catch {
            throw FrameError.invalidDocument(error.description)
        }
    }
}

extension Request {
    /// The envelope rules (§4.2) for a received frame, with the rule for text
    /// holding a NUL byte: in the `id` it is a BAD_REQUEST without `id` (step
    /// 4, the id cannot be echoed to every client safely); in `op` a
    /// BAD_REQUEST, in `args` an INVALID_ARGUMENT naming the field (after
    /// steps 5 to 8, before the operation is looked up).
    public static func parse(_ frame: ReceivedFrame) -> Result<Request, RequestRejection> {
        frame.document.withView { view in
            RequestEnvelope.parse(view, firstEmbeddedNUL: frame.firstEmbeddedNUL).map(\.request)
        }
    }

    /// Why text with a NUL byte is refused, as `details.reason` says it.
    public static let nulReason = "text may not contain a NUL byte (U+0000)"
}
