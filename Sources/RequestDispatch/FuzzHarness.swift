import BSONCore
import NIOCore
import WireProtocol

/// What the fuzz target runs on each input, kept in the library (so it is
/// compiled, and exercised by a unit test, in every build — not only the
/// fuzzing one): the input is a byte stream as a client would send it.
public enum FuzzHarness {
    /// The operations whose arguments are validated without a store: every
    /// argument reader the market-data and core operations share.
    public static func run(_ bytes: [UInt8]) {
        var decoder = BSONFrameDecoder(maximumFrameBytes: 1 << 20)
        var buffer = ByteBufferAllocator().buffer(bytes: bytes)
        while true {
            let frame: ReceivedFrame?
            do {
                frame = try decoder.decodeFrame(buffer: &buffer)
            } catch {
                return
            }
            guard let frame else {
                _ = try? decoder.decodeLast(buffer: &buffer, seenEOF: true)
                return
            }
            exercise(frame)
        }
    }

    static func exercise(_ frame: ReceivedFrame) {
        let document = frame.document
        _ = document.relaxedExtendedJSON
        _ = document.canonicalExtendedJSON
        // The server's own envelope rules for a frame (text with a NUL included).
        switch Request.parse(frame) {
        case .failure(let rejection):
            _ = Reply.failure(id: rejection.id, error: rejection.error).document
        case .success(let request):
            validateArguments(request.args)
            _ = Reply(Reply.success(id: request.id, result: request.args).document)
        }
    }

    static func validateArguments(_ args: BSONDocument) {
        let allowed = ["product", "symbol", "expiry", "start", "end", "limit", "order", "cursor", "option_type", "strike_min", "strike_max", "fields", "ticks", "window"]
        guard let arguments = try? Arguments(args, allowed: allowed) else { return }
        _ = try? arguments.name("product")
        _ = try? arguments.name("symbol", required: false)
        _ = try? arguments.expiry("expiry", required: false)
        _ = try? arguments.timeRange()
        _ = try? arguments.limit(default: 100, maximum: 1000)
        _ = try? arguments.order()
        _ = try? arguments.cursor(fingerprint: 0)
        _ = try? arguments.finiteNumber("strike_min")
        _ = try? ChainOperations.fields(arguments)
        if let items = try? arguments.batch("ticks", maximum: 1000) {
            _ = try? validateBatch(items, field: "ticks", Tick.init(document:))
            _ = try? validateBatch(items, field: "ticks", Quote.init(document:))
            _ = try? validateBatch(items, field: "ticks", Chain.init(document:))
        }
    }
}

import Domain
