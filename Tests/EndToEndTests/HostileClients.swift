import BSONCore
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TestSupport

/// Many connections that send and never block (not a test file): each has
/// bytes to send, written with non-blocking `send` as fast as the daemon
/// takes them, from one background thread that polls them all. Replies are
/// never read unless `readReplies` is set (then they are read and their error
/// codes kept, as a client that sends a frame and listens would).
///
/// The thread owns all per-connection state; the figures are read once it
/// has stopped. (It must cost the machine little: the test measures the
/// daemon's latency on two shared cores.)
final class FloodConnections: @unchecked Sendable {
    private let sockets: [RawSocket]
    private let payloads: [[UInt8]]
    private let limitPerConnection: Int
    private let repeats: Bool
    private let readReplies: Bool
    private let stopping = NSLock()
    private var stopRequested = false
    private var thread: Thread?
    // Owned by the thread until it finishes.
    private var offsets: [Int]
    private var sentTotals: [Int]
    private var closedByServer: [Bool]
    private var inbound: [[UInt8]]
    private var replyCodes: [String] = []

    /// Opens `count` connections to `socketPath`; each sends `payload(i)`,
    /// repeatedly if `repeats`, at most `limitPerConnection` bytes in all.
    init(socketPath: String, count: Int, limitPerConnection: Int, repeats: Bool, readReplies: Bool = false, payload: (Int) -> [UInt8]) throws {
        sockets = try (0..<count).map { _ in try RawSocket(connectingTo: socketPath) }
        for socket in sockets {
            _ = fcntl(socket.fd, F_SETFL, fcntl(socket.fd, F_GETFL) | O_NONBLOCK)
        }
        self.limitPerConnection = limitPerConnection
        self.repeats = repeats
        self.readReplies = readReplies
        payloads = (0..<count).map(payload)
        offsets = Array(repeating: 0, count: count)
        sentTotals = Array(repeating: 0, count: count)
        closedByServer = Array(repeating: false, count: count)
        inbound = Array(repeating: [], count: count)
    }

    func start() {
        let thread = Thread { [self] in run() }
        thread.stackSize = 1 << 20
        self.thread = thread
        thread.start()
    }

    /// Stops sending; the figures below are valid from then on. Closing the
    /// connections is `close()`.
    func stop() {
        stopping.withLock { stopRequested = true }
        while thread?.isFinished == false { usleep(5000) }
    }

    func close() {
        for socket in sockets { socket.close() }
    }

    /// Bytes the daemon took, over all connections.
    var bytesSent: Int { sentTotals.reduce(0, +) }
    var connectionsClosedByServer: Int { closedByServer.filter { $0 }.count }
    /// "CODE: message" of the error replies read (with `readReplies`).
    var replies: [String] { replyCodes }

    private var shouldStop: Bool { stopping.withLock { stopRequested } }

    private func run() {
        var polls = sockets.indices.map { pollfd(fd: sockets[$0].fd, events: wantedEvents($0), revents: 0) }
        var rounds = 0
        while true {
            rounds += 1
            if rounds % 8 == 0 && shouldStop { return }
            if poll(&polls, nfds_t(polls.count), 50) <= 0 {
                if shouldStop { return }
                continue
            }
            for index in polls.indices where polls[index].revents != 0 {
                let events = Int32(polls[index].revents)
                polls[index].revents = 0
                if events & Int32(POLLIN) != 0 { receive(index) }
                if events & Int32(POLLOUT) != 0 { sendSome(index) }
                if events & Int32(POLLHUP | POLLERR) != 0 && events & Int32(POLLIN) == 0 { closedByServer[index] = true }
                // Only a connection that changed state changes what is polled.
                polls[index].events = wantedEvents(index)
            }
        }
    }

    /// What to poll a connection for; nothing once it is closed or has sent all.
    private func wantedEvents(_ index: Int) -> Int16 {
        guard !closedByServer[index] else { return 0 }
        var events: Int32 = readReplies ? Int32(POLLIN) : 0
        if sentTotals[index] < limitPerConnection { events |= Int32(POLLOUT) }
        return Int16(events)
    }

    private func sendSome(_ index: Int) {
        let fd = sockets[index].fd
        for _ in 0..<4 {
            if offsets[index] >= payloads[index].count {
                guard repeats else { return }
                offsets[index] = 0
            }
            let offset = offsets[index]
            let count = min(payloads[index].count - offset, limitPerConnection - sentTotals[index], 1 << 20)
            guard count > 0 else { return }
            let written = payloads[index].withUnsafeBytes { raw in
                Glibc.send(fd, raw.baseAddress! + offset, count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT))
            }
            if written < 0 {
                if errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR { closedByServer[index] = true }
                return
            }
            offsets[index] += written
            sentTotals[index] += written
        }
    }

    private func receive(_ index: Int) {
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let n = buffer.withUnsafeMutableBytes { recv(sockets[index].fd, $0.baseAddress, $0.count, Int32(MSG_DONTWAIT)) }
        if n == 0 {
            closedByServer[index] = true
            return
        }
        guard n > 0 else {
            if errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR { closedByServer[index] = true }
            return
        }
        inbound[index] += buffer.prefix(n)
        while inbound[index].count >= 4 {
            let length = Int(Int32(littleEndian: Array(inbound[index].prefix(4)).withUnsafeBytes { $0.load(as: Int32.self) }))
            guard length >= 5, inbound[index].count >= length else { break }
            let frame = Array(inbound[index].prefix(length))
            inbound[index].removeFirst(length)
            if let reply = try? BSONDocument(validating: frame), let error = reply["error"]?.documentValue {
                replyCodes.append("\(error["code"]?.stringValue ?? "?"): \(error["message"]?.stringValue ?? "")")
            }
        }
    }
}

/// Pings on fresh connections at a steady pace from a background thread,
/// keeping each round trip's latency (connect, send, reply).
final class PingProbe: @unchecked Sendable {
    private let lock = NSLock()
    private var latencies: [Double] = []
    /// When each ping started, in seconds since `start()`, beside its latency.
    private var startedAt: [Double] = []
    private var connectTimes: [Double] = []
    private var failures: [String] = []
    private var stopping = false
    private var thread: Thread?
    private let socketPath: String
    private let interval: TimeInterval

    init(socketPath: String, interval: TimeInterval = 0.025) {
        self.socketPath = socketPath
        self.interval = interval
    }

    func start() {
        let origin = Date()
        let thread = Thread { [self] in
            var id: Int32 = 0
            while !lock.withLock({ stopping }) {
                id += 1
                let started = Date()
                do {
                    let socket = try RawSocket(connectingTo: socketPath, receiveTimeout: 5)
                    let connected = Date().timeIntervalSince(started)
                    try socket.send(RequestBuilder.ping(id: id))
                    let reply = try socket.receiveDocument()
                    socket.close()
                    let elapsed = Date().timeIntervalSince(started)
                    lock.withLock {
                        if reply?["ok"] == .bool(true) {
                            latencies.append(elapsed)
                            startedAt.append(started.timeIntervalSince(origin))
                            connectTimes.append(connected)
                        } else {
                            failures.append("ping \(id): \(String(describing: reply))")
                        }
                    }
                } catch {
                    lock.withLock { failures.append("ping \(id): \(error)") }
                }
                let rest = interval - Date().timeIntervalSince(started)
                if rest > 0 { usleep(useconds_t(rest * 1_000_000)) }
            }
        }
        self.thread = thread
        thread.start()
    }

    /// Stops and returns the latencies (seconds) and the failures.
    func stop() -> (latencies: [Double], failures: [String]) {
        lock.withLock { stopping = true }
        while thread?.isFinished == false { usleep(5000) }
        return lock.withLock { (latencies, failures) }
    }

    /// The slowest pings as "latency ms at t s", for the test's message.
    func slowest(_ count: Int) -> String {
        lock.withLock {
            latencies.indices.sorted { latencies[$0] > latencies[$1] }.prefix(count)
                .map { String(format: "%.1f ms (connect %.1f) at %.2f s", latencies[$0] * 1000, connectTimes[$0] * 1000, startedAt[$0]) }.joined(separator: ", ")
        }
    }

    static func percentile(_ values: [Double], _ fraction: Double) -> Double {
        guard !values.isEmpty else { return .infinity }
        let sorted = values.sorted()
        let rank = Int((fraction * Double(sorted.count)).rounded(.up)) - 1
        return sorted[min(max(rank, 0), sorted.count - 1)]
    }
}

/// Resident memory of a process, sampled from a background thread.
final class ResidentMemory: @unchecked Sendable {
    private let lock = NSLock()
    private var peakKiB = 0
    private var stopping = false
    private var thread: Thread?
    let pid: Int32

    init(pid: Int32) {
        self.pid = pid
    }

    static func kib(_ pid: Int32) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }

    func start() {
        peakKiB = Self.kib(pid)
        let thread = Thread { [self] in
            while !lock.withLock({ stopping }) {
                let now = Self.kib(pid)
                lock.withLock { peakKiB = max(peakKiB, now) }
                usleep(50_000)
            }
        }
        self.thread = thread
        thread.start()
    }

    func stop() -> Int {
        lock.withLock { stopping = true }
        while thread?.isFinished == false { usleep(5000) }
        return lock.withLock { max(peakKiB, Self.kib(pid)) }
    }
}
