#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import BSONCore
import Foundation
import NIOCore
import NIOPosix

/// `deltastore-bench echo-server`: the transport anchor. A minimal server on
/// the same kind of socket, with SwiftNIO and the same channel options as
/// deltastored, speaking the same framing: it reads each frame by its length
/// prefix and answers `{id, ok: true, result: {pong: true}}` with the request's
/// id. No validation, no dispatch, no statistics: what is left is the cost of
/// the socket, the event loop and the framing, which deltastored cannot avoid.
struct EchoServerCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "echo-server",
        abstract: "Minimal BSON-framing server answering every frame with {id, ok: true, result: {pong: true}} (the transport anchor)."
    )

    @Option(help: "Unix socket to listen on (a stale file is replaced).") var socket: String
    @Option(help: "Event-loop threads (default: one per core, as deltastored).") var threads: Int = System.coreCount

    func run() async throws {
        unlink(socket)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers([
                        ByteToMessageHandler(LengthPrefixDecoder(maximumFrameBytes: 16 * 1024 * 1024)),
                        EchoHandler(),
                    ])
                }
            }
            .bind(unixDomainSocketPath: socket).get()
        FileHandle.standardError.write(Data("echo-server listening on \(socket) with \(threads) event loops\n".utf8))
        try await channel.closeFuture.get()
    }
}

/// Frames by the BSON length prefix, with the same bounds check as the daemon
/// (5 ... maximum before buffering), and nothing else.
struct LengthPrefixDecoder: NIOSingleStepByteToMessageDecoder {
    typealias InboundOut = ByteBuffer
    let maximumFrameBytes: Int

    mutating func decode(buffer: inout ByteBuffer) throws -> ByteBuffer? {
        guard let length = buffer.getInteger(at: buffer.readerIndex, endianness: .little, as: Int32.self) else { return nil }
        guard length >= 5, Int(length) <= maximumFrameBytes else { throw BenchFailure("bad frame length \(length)") }
        return buffer.readSlice(length: Int(length))
    }

    mutating func decodeLast(buffer: inout ByteBuffer, seenEOF: Bool) throws -> ByteBuffer? {
        try decode(buffer: &buffer)
    }
}

final class EchoHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// `{id: int64 0, ok: true, result: {pong: true}}`; the id is patched in.
    private static let template: [UInt8] = BSONDocument([("id", .int64(0)), ("ok", .bool(true)), ("result", .document(["pong": true]))]).bytes

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = unwrapInboundIn(data)
        let reply: ByteBuffer? = frame.withUnsafeReadableBytes { raw in
            // The usual request: an int64 id first.
            if raw.count >= 16, raw[4] == 0x12, raw[5] == UInt8(ascii: "i"), raw[6] == UInt8(ascii: "d"), raw[7] == 0 {
                var out = context.channel.allocator.buffer(capacity: Self.template.count)
                out.writeBytes(Self.template)
                out.setInteger(WireBytes.readInt64(raw, 8), at: 8, endianness: .little)
                return out
            }
            // Any other id type: find it and echo it with its type.
            var id: BSONValue?
            WireBytes.forEachElement(raw) { element in
                guard WireBytes.keyEquals(raw, element, "id") else { return true }
                switch element.type {
                case 0x10: id = .int32(WireBytes.readInt32(raw, element.valueStart))
                case 0x12: id = .int64(WireBytes.readInt64(raw, element.valueStart))
                case 0x02:
                    let count = Int(WireBytes.readInt32(raw, element.valueStart)) - 1
                    let start = element.valueStart + 4
                    id = .string(String(decoding: UnsafeRawBufferPointer(rebasing: raw[start..<(start + max(0, count))]), as: UTF8.self))
                default: break
                }
                return false
            }
            guard let id else { return nil }
            var out = context.channel.allocator.buffer(capacity: 64)
            out.writeBytes(BSONDocument([("id", id), ("ok", .bool(true)), ("result", .document(["pong": true]))]).bytes)
            return out
        }
        if let reply { context.write(wrapOutboundOut(reply), promise: nil) }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if (event as? ChannelEvent) == .inputClosed { context.close(promise: nil) }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}
