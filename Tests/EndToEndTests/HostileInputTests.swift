import BSONCore
import Foundation
import TestSupport
import XCTest

/// A battery of hostile input against the built daemon. Afterwards the daemon
/// still answers, its memory stayed bounded, and every insert it acknowledged
/// during the battery is in the store.
final class HostileInputTests: DaemonTestCase {
    private var acknowledged = 0
    private var writer: RawSocket!
    private var insertID: Int32 = 0
    let base: Int64 = 1_738_228_500_000

    /// One acknowledged insert of 10 ticks on the steady connection.
    private func steadyInsert() throws {
        insertID += 1
        let ticks: [BSONValue] = (0..<10).map { ["product": "STEADY", "price": 100.0, "timestamp": .datetime(base + Int64(insertID) * 100 + Int64($0))] }
        try writer.send(RequestBuilder.request(id: .int32(insertID), op: "ticks.insert", args: ["ticks": .array(ticks)]))
        let reply = try XCTUnwrap(try writer.receiveDocument())
        XCTAssertEqual(reply["ok"], .bool(true), "\(reply)")
        acknowledged += Int(reply["result"]?.documentValue?["inserted"]?.integerValue ?? 0)
    }

    private func expectBadFrame(_ bytes: [UInt8], shutdown: Bool = false, _ label: String) throws {
        let socket = try connect()
        try socket.send(bytes)
        if shutdown { socket.shutdownWrite() }
        let reply = try XCTUnwrap(try socket.receiveDocument(), label)
        XCTAssertEqual(reply["error"]?.documentValue?["code"], "BAD_FRAME", "\(label): \(reply)")
        XCTAssertTrue(try socket.isAtEOF(), label)
        try steadyInsert()
    }

    private func residentKiB(_ pid: Int32) -> Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
    }

    func testBattery() throws {
        let daemon = try startDaemon(arguments: ["--store", "sqlite:" + directory.file("hostile.db"), "--frame-timeout", "2"])
        writer = try connect()
        try steadyInsert()
        let pid = daemon.process.processIdentifier
        var peakKiB = residentKiB(pid)

        // Lengths 0, 4, 2^31-1, negative; truncated; not BSON; too deep; invalid UTF-8.
        try expectBadFrame([0, 0, 0, 0], "length 0")
        try expectBadFrame([4, 0, 0, 0], "length 4")
        try expectBadFrame([0xff, 0xff, 0xff, 0x7f], "length 2^31-1")
        try expectBadFrame([0xfe, 0xff, 0xff, 0xff], "negative length")
        try expectBadFrame(Array(RequestBuilder.ping(id: 1).bytes.prefix(9)), shutdown: true, "truncated")
        try expectBadFrame([12, 0, 0, 0, 0x7f, 0x61, 0, 1, 2, 3, 4, 0], "unknown element type")
        var deep: BSONDocument = ["x": 1]
        for _ in 0..<150 { deep = ["d": .document(deep)] }
        try expectBadFrame(RequestBuilder.request(id: 1, op: "ping", args: deep).bytes, "nesting past the depth limit")
        var utf8 = (["id": 1, "op": "pinX"] as BSONDocument).bytes
        utf8[utf8.count - 3] = 0xff
        try expectBadFrame(utf8, "invalid UTF-8")

        // Duplicate keys: in the envelope and in args.
        let duplicates = try connect()
        try duplicates.send(BSONDocument([("id", 1), ("op", "ping"), ("op", "hello")]))
        XCTAssertEqual(try duplicates.receiveDocument()?["error"]?.documentValue?["code"], "BAD_REQUEST")
        try duplicates.send(RequestBuilder.request(id: 2, op: "ticks.query", args: BSONDocument([("product", "A"), ("product", "B")])))
        XCTAssertEqual(try duplicates.receiveDocument()?["error"]?.documentValue?["code"], "INVALID_ARGUMENT")

        // Every argument of every operation with a wrong type, and operator-looking values.
        let describe = try XCTUnwrap(try roundTrip(RequestBuilder.request(id: 1, op: "describe"))["result"]?.documentValue)
        let ops = (describe["ops"]?.arrayValue ?? []).compactMap(\.documentValue)
        XCTAssertGreaterThan(ops.count, 10)
        let hostile = try connect()
        var requestID: Int32 = 0
        var checked = 0
        for op in ops {
            guard let name = op["name"]?.stringValue else { continue }
            for argument in (op["args"]?.arrayValue ?? []).compactMap(\.documentValue) {
                guard let field = argument["name"]?.stringValue, let type = argument["type"]?.stringValue else { continue }
                var values: [BSONValue] = type.contains("string") ? [.int32(7), ["$gt": ""], "$where", .string(String(repeating: "x", count: 5000))] : ["text", .double(.nan)]
                if type.contains("datetime") { values += [.int64(base), "2025-01-30T09:15:00Z"] }
                if type.contains("int") { values += [.double(1.5), .double(.infinity), .int64(.min)] }
                if type.contains("double") { values += [.double(.nan), .double(-.infinity)] }
                if type.hasPrefix("array") { values += [[.null], [["$set": 1]]] }
                for value in values {
                    requestID += 1
                    try hostile.send(RequestBuilder.request(id: .int32(requestID), op: name, args: BSONDocument([(field, value)])))
                    let reply = try XCTUnwrap(try hostile.receiveDocument(), "\(name).\(field) = \(value): no reply")
                    let code = reply["error"]?.documentValue?["code"]?.stringValue
                    // Valid-looking combinations may succeed; nothing may crash or be INTERNAL.
                    XCTAssertNotEqual(code, "INTERNAL", "\(name).\(field) = \(value): \(reply)")
                    if reply["ok"] == .bool(false) {
                        XCTAssertTrue(["INVALID_ARGUMENT", "NOT_FOUND", "UNAUTHENTICATED", "TOKEN_INVALID", "RATE_LIMITED"].contains(code ?? ""), "\(name).\(field) = \(value): \(reply)")
                    }
                    checked += 1
                }
            }
            try steadyInsert()
        }
        XCTAssertGreaterThan(checked, 100)

        // NaN and infinite prices in a batch.
        for price: Double in [.nan, .infinity, -.infinity, 0, -1] {
            let reply = try roundTrip(RequestBuilder.request(id: 1, op: "ticks.insert", args: ["ticks": [["product": "X", "price": .double(price), "timestamp": .datetime(base)]]]))
            XCTAssertEqual(reply["error"]?.documentValue?["details"]?.documentValue?["field"], "price", "\(price)")
        }

        // 10,000 connections opened and abandoned. The daemon catches up with
        // their closes (new connections are refused until it has: the per-uid
        // limit counts them), then serves again.
        for _ in 0..<50 {
            let sockets = try (0..<200).map { _ in try connect() }
            for socket in sockets { socket.close() }
        }
        var servedAgain = false
        let catchUp = Date().addingTimeInterval(10)
        while !servedAgain && Date() < catchUp {
            servedAgain = (try? roundTrip(RequestBuilder.ping(id: 7)))?["ok"] == .bool(true)
            if !servedAgain { usleep(50_000) }
        }
        XCTAssertTrue(servedAgain, "the daemon serves new connections again after the abandoned ones")
        try steadyInsert()
        peakKiB = max(peakKiB, residentKiB(pid))

        // A client that never reads its replies: the daemon stops reading it.
        let deaf = try connect()
        let describeAll = RequestBuilder.request(id: 1, op: "describe").bytes
        var sent = 0
        let deadline = Date().addingTimeInterval(3)
        var blocked = false
        let flag = fcntl(deaf.fd, F_GETFL)
        _ = fcntl(deaf.fd, F_SETFL, flag | O_NONBLOCK)
        while Date() < deadline {
            let n = describeAll.withUnsafeBytes { send(deaf.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n < 0 && errno == EAGAIN { blocked = true; break }
            if n > 0 { sent += 1 }
        }
        XCTAssertTrue(blocked, "the daemon must stop reading a client that does not read (sent \(sent) requests)")
        try steadyInsert()
        peakKiB = max(peakKiB, residentKiB(pid))

        // A frame sent one byte per second is cut off by the frame timeout.
        let drip = try connect()
        let frame = RequestBuilder.ping(id: 5).bytes
        let dripStarted = Date()
        var cut = false
        for byte in frame {
            if (try? drip.send([byte])) == nil { cut = true; break }
            var poller = pollfd(fd: drip.fd, events: Int16(POLLIN), revents: 0)
            if poll(&poller, 1, 1000) > 0 { cut = true; break }
        }
        XCTAssertTrue(cut, "the slow frame was not cut off")
        XCTAssertLessThan(Date().timeIntervalSince(dripStarted), 5)
        let dripReply = try drip.receiveDocument()
        XCTAssertEqual(dripReply?["error"]?.documentValue?["code"], "BAD_FRAME", "\(String(describing: dripReply))")

        // Afterwards: alive, bounded, and nothing acknowledged was lost.
        deaf.close()
        XCTAssertEqual(try roundTrip(RequestBuilder.ping(id: 99))["ok"], .bool(true))
        XCTAssertTrue(daemon.process.isRunning)
        peakKiB = max(peakKiB, residentKiB(pid))
        XCTAssertLessThan(peakKiB, 256 * 1024, "resident memory peaked at \(peakKiB) KiB")
        XCTAssertEqual(try storedTicks(product: "STEADY"), acknowledged)
        XCTAssertGreaterThan(acknowledged, 100)
    }
}
