import BSONCore
#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A blocking Unix-socket client that sends bytes exactly as given: the tool
/// for testing framing and hostile input, independent of the project's client.
public final class RawSocket: @unchecked Sendable {
    public let fd: Int32

    public init(connectingTo path: String, receiveTimeout: TimeInterval = 10) throws {
        fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError("socket(): \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        // A throwing init still runs deinit (every stored property is set):
        // the failure paths close through `close()`, so the deinit cannot
        // close the number again once another thread reused it.
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else {
            close()
            throw TestSupportError("socket path too long: \(path)")
        }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in bytes.enumerated() { raw[index] = byte }
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard result == 0 else {
            let reason = String(cString: strerror(errno))
            close()
            throw TestSupportError("connect(\(path)): \(reason)")
        }
        var timeout = timeval(tv_sec: Int(receiveTimeout), tv_usec: __suseconds_t((receiveTimeout - Double(Int(receiveTimeout))) * 1_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    private let closeLock = NSLock()
    private var closed = false

    /// Closes the socket, once: a second call, or the deinit after a call,
    /// must not close whatever file now has the same descriptor number (a
    /// test with threads opening sockets would lose one of them).
    public func close() {
        let first = closeLock.withLock { () -> Bool in
            defer { closed = true }
            return !closed
        }
        if first, fd >= 0 { Glibc.close(fd) }
    }

    deinit {
        close()
    }

    /// Writes all of `bytes` (blocking). Throws on a closed connection.
    public func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if written < 0 {
                if errno == EINTR { continue }
                throw TestSupportError("send: \(String(cString: strerror(errno)))")
            }
            offset += written
        }
    }

    public func send(_ document: BSONDocument) throws {
        try send(document.bytes)
    }

    /// Closes the sending direction: the server sees end of input.
    public func shutdownWrite() {
        shutdown(fd, Int32(SHUT_WR))
    }

    /// Reads exactly `count` bytes; nil at a clean EOF before the first byte.
    public func receive(exactly count: Int) throws -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: count)
        var received = 0
        while received < count {
            let n = buffer.withUnsafeMutableBytes { raw in
                recv(fd, raw.baseAddress! + received, count - received, 0)
            }
            if n == 0 {
                if received == 0 { return nil }
                throw TestSupportError("EOF after \(received) of \(count) bytes")
            }
            if n < 0 {
                if errno == EINTR { continue }
                throw TestSupportError("recv: \(String(cString: strerror(errno)))")
            }
            received += n
        }
        return buffer
    }

    /// Reads one frame and validates it as a document; nil at EOF.
    public func receiveDocument() throws -> BSONDocument? {
        guard let prefix = try receive(exactly: 4) else { return nil }
        let length = Int(Int32(littleEndian: prefix.withUnsafeBytes { $0.load(as: Int32.self) }))
        guard length >= 5, length <= 64 * 1024 * 1024 else { throw TestSupportError("server sent frame length \(length)") }
        guard let rest = try receive(exactly: length - 4) else { throw TestSupportError("EOF inside a frame") }
        return try BSONDocument(validating: prefix + rest)
    }

    /// True when the peer has closed: the next read returns EOF.
    public func isAtEOF() throws -> Bool {
        try receive(exactly: 1) == nil
    }
}
