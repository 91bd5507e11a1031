#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A Unix datagram socket a test owns: stands in for systemd's notification
/// socket (`NOTIFY_SOCKET`) or for journald's native socket, and collects what
/// the daemon sends there.
public final class DatagramListener: @unchecked Sendable {
    public let path: String
    let fd: Int32

    public init(path: String) throws {
        self.path = path
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw TestSupportError("socket(): \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in path.utf8.prefix(raw.count - 1).enumerated() { raw[index] = byte }
        }
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        // A throwing init still runs deinit (every stored property is set): it closes the socket, once.
        guard result == 0 else {
            let reason = String(cString: strerror(errno))
            throw TestSupportError("bind(\(path)): \(reason)")
        }
        // Large enough for journal entries.
        var size: Int32 = 4 * 1024 * 1024
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
    }

    deinit {
        if fd >= 0 { Glibc.close(fd) }
        unlink(path)
    }

    /// The next datagram, or nil if none arrives within `timeout`.
    public func receive(timeout: TimeInterval) -> [UInt8]? {
        var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
        guard poll(&poller, 1, Int32(timeout * 1000)) > 0 else { return nil }
        var buffer = [UInt8](repeating: 0, count: 256 * 1024)
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count >= 0 else { return nil }
        return Array(buffer.prefix(count))
    }

    /// The next datagram as text.
    public func receiveText(timeout: TimeInterval) -> String? {
        receive(timeout: timeout).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Datagrams until one satisfies `predicate` (returned last) or the time is up.
    public func collect(until predicate: (String) -> Bool, timeout: TimeInterval) -> [String] {
        var out: [String] = []
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            guard let text = receiveText(timeout: deadline.timeIntervalSinceNow) else { break }
            out.append(text)
            if predicate(text) { break }
        }
        return out
    }
}
