import BSONCore
#if canImport(Glibc)
import Glibc
#endif
import Foundation
import TestSupport
import XCTest

/// The hostile battery of memory: what local clients tried against the
/// daemon, each against a fresh daemon with its figure asserted — resident
/// memory during the attack, a fresh connection's `ping` p99 meanwhile,
/// resident memory once the attack's connections closed, and every insert
/// acknowledged meanwhile present afterwards. The frame-timeout cases check
/// that every request read is answered before BAD_FRAME.
///
/// Every client here writes without blocking (`FloodConnections`), so a
/// daemon that stops reading can never stall the test itself.
final class MemoryBoundsTests: DaemonTestCase {
    static let pingP99Limit = 0.050
    /// How long each attack is held while it is measured.
    static let attackSeconds = 6.0
    let base: Int64 = 1_738_228_500_000

    /// What one attack measured.
    struct Figures: CustomStringConvertible {
        var idleKiB: Int
        var peakKiB: Int
        var afterKiB: Int
        var pings: [Double]
        var pingFailures: [String]
        var slowestPings: String
        var acknowledged: Int

        var p99: Double { PingProbe.percentile(pings, 0.99) }
        var description: String {
            String(format: "idle %d MiB, peak %d MiB (+%d), after %d MiB (+%d); ping p50 %.1f ms, p99 %.1f ms over %d; %d inserts acknowledged",
                   idleKiB / 1024, peakKiB / 1024, (peakKiB - idleKiB) / 1024, afterKiB / 1024, (afterKiB - idleKiB) / 1024,
                   PingProbe.percentile(pings, 0.5) * 1000, p99 * 1000, pings.count, acknowledged) + " (slowest pings: \(slowestPings))"
        }
    }

    // MARK: the attacks

    /// 30 connections of a peer that may call only the public operations
    /// send `describe` requests without reading a reply.
    func testDescribeFloodFromPublicOnlyPeers() throws {
        guard getuid() == 0 else { throw XCTSkip("the acknowledged inserts come from another uid (setpriv), which needs root") }
        let rules = directory.file("access.conf")
        // The test's own uid (root) gets only the public operations; uid 4242 writes.
        try "uid:4242 read write\n".write(toFile: rules, atomically: true, encoding: .utf8)
        let daemon = try startDaemon(arguments: ["--store", "sqlite:" + directory.file("flood.db"), "--access-rules", rules])
        chmod(directory.path, 0o755)
        openSocketToEveryone(daemon)
        XCTAssertEqual(try roundTrip(RequestBuilder.request(id: 1, op: "ticks.query", args: ["product": "X"]))["error"]?.documentValue?["code"], "PERMISSION_DENIED", "the flooding peer is public-only")
        let describe = RequestBuilder.request(id: 1, op: "describe").bytes
        var ctlInserts = 0
        let figures = try attack(daemon) {
            try FloodConnections(socketPath: socketPath, count: 30, limitPerConnection: 220_000, repeats: true) { _ in
                (0..<64).flatMap { _ in describe }
            }
        } insert: {
            ctlInserts += 1
            return try self.insertAsOtherUser(batch: ctlInserts)
        }
        print("describe flood: \(figures)")
        XCTAssertLessThanOrEqual(figures.peakKiB, figures.idleKiB + 64 * 1024, "\(figures)")
        try checkServed(figures, daemon: daemon)
        XCTAssertEqual(try storedSteadyTicks(restarting: daemon, storeFile: "flood.db"), figures.acknowledged)
    }

    /// Four connections of a read-group peer each send 128 maximum-page
    /// `ticks.query` (about 12 MB per reply) and read nothing.
    func testUnreadMaximumPageQueriesFromReadGroupPeers() throws {
        let daemon = try startDaemon(arguments: ["--store", "sqlite:" + directory.file("pages.db")])
        try seedLargeTicks(count: 1000, payloadBytes: 12_000)
        let query = RequestBuilder.request(id: 1, op: "ticks.query", args: ["product": "BIG", "limit": 1000]).bytes
        let sample = try roundTrip(RequestBuilder.request(id: 1, op: "ticks.query", args: ["product": "BIG", "limit": 1000]))
        XCTAssertGreaterThan(sample.byteCount, 12_000_000, "one page is about 12 MB")
        let writer = try connect()
        var insertID: Int32 = 0
        let figures = try attack(daemon) {
            try FloodConnections(socketPath: socketPath, count: 4, limitPerConnection: 128 * query.count, repeats: false) { _ in
                (0..<128).flatMap { _ in query }
            }
        } insert: {
            insertID += 1
            return try self.insert(on: writer, batch: insertID)
        }
        print("unread maximum pages: \(figures)")
        XCTAssertLessThanOrEqual(figures.peakKiB, figures.idleKiB + 160 * 1024, "\(figures)")
        try checkServed(figures, daemon: daemon)
        writer.close()
        XCTAssertEqual(try storedSteadyTicks(restarting: daemon, storeFile: "pages.db"), figures.acknowledged)
    }

    /// 400 connections each send 16 MiB − 1 bytes of a 16 MiB frame (the
    /// default maximum) and wait.
    func testFourHundredConnectionsHoldingAlmostWholeFrames() throws {
        let daemon = try startDaemon(arguments: ["--store", "sqlite:" + directory.file("frames.db")])
        let budgetKiB = 256 * 1024
        var frame = [UInt8](repeating: 0x61, count: 16 << 20 - 1)
        frame.withUnsafeMutableBytes { $0.storeBytes(of: Int32(16 << 20).littleEndian, as: Int32.self) }
        let shared = frame
        let writer = try connect()
        var insertID: Int32 = 0
        var flood: FloodConnections?
        let figures = try attack(daemon) {
            let connections = try FloodConnections(socketPath: socketPath, count: 400, limitPerConnection: shared.count, repeats: false, readReplies: true) { _ in shared }
            flood = connections
            return connections
        } insert: {
            insertID += 1
            return try self.insert(on: writer, batch: insertID)
        }
        print("400 almost whole frames: \(figures); \(flood?.connectionsClosedByServer ?? 0) connections closed by the server, \((flood?.bytesSent ?? 0) >> 20) MiB taken")
        XCTAssertLessThanOrEqual(figures.peakKiB, figures.idleKiB + budgetKiB + 64 * 1024, "\(figures)")
        try checkServed(figures, daemon: daemon)
        let stalled = flood?.replies.filter { $0.hasPrefix("RESOURCE_EXHAUSTED: the server's memory budget is exhausted") } ?? []
        XCTAssertFalse(stalled.isEmpty, "clients holding memory without progress are closed with a clear error: \(flood?.replies.prefix(3) ?? [])")
        XCTAssertTrue(daemon.log.contains("without sending more while the memory budget of 268435456 bytes was exhausted"), "the closes are logged")
        writer.close()
        XCTAssertEqual(try storedSteadyTicks(restarting: daemon, storeFile: "frames.db"), figures.acknowledged)
    }

    // MARK: the frame timer

    /// With `--frame-timeout 2`: a `ping` with `delay_ms` 4000 then 5 bytes of
    /// the next frame gets its pong, then BAD_FRAME; and, at the same time,
    /// 400 pings with `delay_ms` 10000 plus a 1 MB insert sent in one go get
    /// every reply, although the daemon is not reading them for 30 s (its
    /// paused time never counts against the frame).
    func testEveryRequestReadIsAnsweredBeforeBadFrameAndPausedTimeDoesNotCount() throws {
        try startDaemon(arguments: ["--store", "sqlite:" + directory.file("timer.db"), "--frame-timeout", "2"])

        let pipelined = try connect(receiveTimeout: 60)
        let notes = String(repeating: "n", count: 2000)
        let ticks: [BSONValue] = (0..<500).map { ["product": "BULK", "price": 10.0, "timestamp": .datetime(base + Int64($0)), "note": .string(notes)] }
        let insert = RequestBuilder.request(id: .int32(1000), op: "ticks.insert", args: ["ticks": .array(ticks)]).bytes
        XCTAssertGreaterThan(insert.count, 1_000_000)
        let pings = (1...400).flatMap { RequestBuilder.ping(id: Int32($0), delayMs: 10_000).bytes }
        let sender = try NonBlockingSender(pipelined, bytes: pings + insert)
        sender.start()

        let slow = try connect(receiveTimeout: 10)
        let started = Date()
        try slow.send(RequestBuilder.ping(id: 1, delayMs: 4000).bytes + Array(RequestBuilder.ping(id: 2).bytes.prefix(5)))
        let pong = try XCTUnwrap(try slow.receiveDocument())
        XCTAssertEqual(pong["id"], .int32(1))
        XCTAssertEqual(pong["ok"], .bool(true))
        XCTAssertGreaterThan(Date().timeIntervalSince(started), 3.9)
        let badFrame = try XCTUnwrap(try slow.receiveDocument())
        XCTAssertEqual(badFrame["error"]?.documentValue?["code"], "BAD_FRAME", "\(badFrame)")
        XCTAssertNil(badFrame["id"])
        XCTAssertTrue(try slow.isAtEOF())

        var ids = Set<Int32>()
        var insertReply: BSONDocument?
        while ids.count + (insertReply == nil ? 0 : 1) < 401, let reply = try pipelined.receiveDocument() {
            XCTAssertNotEqual(reply["error"]?.documentValue?["code"], "BAD_FRAME", "\(reply)")
            guard case .int32(let id) = reply["id"] else { return XCTFail("reply without id: \(reply)") }
            if id == 1000 { insertReply = reply } else { ids.insert(id) }
        }
        sender.stop()
        XCTAssertEqual(ids.count, 400, "every pong arrived")
        XCTAssertEqual(insertReply?["result"]?.documentValue?["inserted"]?.integerValue, 500, "\(String(describing: insertReply))")
        XCTAssertGreaterThan(Date().timeIntervalSince(started), 30, "the pings took four rounds of 10 s at 128 in flight")
    }

    // MARK: helpers

    /// Runs an attack for `attackSeconds` while pinging on fresh connections,
    /// inserting on the side and sampling resident memory; then ends it and
    /// measures memory once its connections are gone.
    private func attack(_ daemon: DaemonProcess, flood makeFlood: () throws -> FloodConnections, insert: () throws -> Int) throws -> Figures {
        let pid = daemon.process.processIdentifier
        for id in 1...20 { _ = try roundTrip(RequestBuilder.ping(id: Int32(id))) }
        usleep(1_500_000)
        let idle = ResidentMemory.kib(pid)
        var acknowledged = 0
        let memory = ResidentMemory(pid: pid)
        memory.start()
        let flood = try makeFlood()
        flood.start()
        usleep(500_000)
        let probe = PingProbe(socketPath: socketPath)
        probe.start()
        let end = Date().addingTimeInterval(Self.attackSeconds)
        while Date() < end {
            acknowledged += try insert()
            usleep(200_000)
        }
        let (pings, failures) = probe.stop()
        let peak = memory.stop()
        flood.stop()
        flood.close()
        // The daemon sees the closes, frees their buffers, and returns free
        // pages a second later (or up to 5 s after its previous return).
        var after = ResidentMemory.kib(pid)
        for _ in 0..<32 where after > idle + 8 * 1024 {
            usleep(250_000)
            after = ResidentMemory.kib(pid)
        }
        return Figures(idleKiB: idle, peakKiB: peak, afterKiB: after, pings: pings, pingFailures: failures, slowestPings: probe.slowest(5), acknowledged: acknowledged)
    }

    private func checkServed(_ figures: Figures, daemon: DaemonProcess, file: StaticString = #filePath, line: UInt = #line) throws {
        XCTAssertTrue(figures.pingFailures.isEmpty, "\(figures.pingFailures.prefix(5))", file: file, line: line)
        XCTAssertGreaterThan(figures.pings.count, 100, file: file, line: line)
        XCTAssertLessThanOrEqual(figures.p99, Self.pingP99Limit, "\(figures)", file: file, line: line)
        XCTAssertLessThanOrEqual(figures.afterKiB, figures.idleKiB + 64 * 1024, "memory given back: \(figures)", file: file, line: line)
        XCTAssertGreaterThan(figures.acknowledged, 0, file: file, line: line)
        XCTAssertTrue(daemon.process.isRunning, file: file, line: line)
    }

    /// 10 ticks of the steady product on `socket`; returns how many were acknowledged.
    private func insert(on socket: RawSocket, batch: Int32) throws -> Int {
        let ticks: [BSONValue] = (0..<10).map { ["product": "STEADY", "price": 100.0, "timestamp": .datetime(base + Int64(batch) * 100 + Int64($0))] }
        try socket.send(RequestBuilder.request(id: .int32(batch), op: "ticks.insert", args: ["ticks": .array(ticks)]))
        let reply = try XCTUnwrap(try socket.receiveDocument())
        XCTAssertEqual(reply["ok"], .bool(true), "\(reply)")
        return Int(reply["result"]?.documentValue?["inserted"]?.integerValue ?? 0)
    }

    /// The same, through `deltastorectl` run as uid 4242.
    private func insertAsOtherUser(batch: Int) throws -> Int {
        let ticks = (0..<10).map { #"{"product": "STEADY", "price": 100.0, "timestamp": {"$date": {"$numberLong": "\#(base + Int64(batch) * 100 + Int64($0))"}}}"# }
        let result = try CommandRunner.run(
            "deltastorectl", ["call", "ticks.insert", "--args", #"{"ticks": [\#(ticks.joined(separator: ", "))]}"#, "--socket", socketPath],
            launcher: ["/usr/bin/setpriv", "--reuid=4242", "--regid=4242", "--clear-groups"]
        )
        XCTAssertEqual(result.status, 0, result.stderr)
        let parsed = try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]
        return (parsed?["inserted"] as? Int) ?? 0
    }

    /// Stops the daemon, starts a new one on the same store with the default
    /// rules, and counts the steady product's ticks.
    private func storedSteadyTicks(restarting daemon: DaemonProcess, storeFile: String) throws -> Int {
        daemon.stop()
        try startDaemon(arguments: ["--store", "sqlite:" + directory.file(storeFile)])
        return try storedTicks(product: "STEADY")
    }

    private func seedLargeTicks(count: Int, payloadBytes: Int) throws {
        let session = RequestSession(try connect())
        let payload = String(repeating: "p", count: payloadBytes)
        for start in stride(from: 0, to: count, by: 100) {
            let ticks: [BSONValue] = (start..<min(count, start + 100)).map {
                ["product": "BIG", "price": 50.0, "timestamp": .datetime(base + Int64($0)), "payload": .string(payload)]
            }
            XCTAssertEqual(try session.result("ticks.insert", ["ticks": .array(ticks)])["inserted"]?.integerValue, Int64(ticks.count))
        }
    }

    private func connect(receiveTimeout: TimeInterval) throws -> RawSocket {
        try RawSocket(connectingTo: socketPath, receiveTimeout: receiveTimeout)
    }
}

/// Sends a byte stream on one socket without ever blocking, from a
/// background thread, while the test reads that socket's replies.
final class NonBlockingSender: @unchecked Sendable {
    private let socket: RawSocket
    private let bytes: [UInt8]
    private let lock = NSLock()
    private var stopping = false
    private var thread: Thread?

    init(_ socket: RawSocket, bytes: [UInt8]) throws {
        self.socket = socket
        self.bytes = bytes
    }

    func start() {
        let thread = Thread { [self] in
            var offset = 0
            while offset < bytes.count, !lock.withLock({ stopping }) {
                var poller = pollfd(fd: socket.fd, events: Int16(POLLOUT), revents: 0)
                guard poll(&poller, 1, 50) > 0 else { continue }
                let written = bytes[offset...].withUnsafeBytes { Glibc.send(socket.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL | MSG_DONTWAIT)) }
                if written > 0 { offset += written } else if errno != EAGAIN && errno != EINTR { return }
            }
        }
        self.thread = thread
        thread.start()
    }

    func stop() {
        lock.withLock { stopping = true }
        while thread?.isFinished == false { usleep(5000) }
    }
}
