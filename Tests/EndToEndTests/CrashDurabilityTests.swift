import BSONCore
import Foundation
import TestSupport
import XCTest

/// SIGKILL during a stream of acknowledged inserts: after a restart every
/// acknowledged record is there and no batch is there in part.
final class CrashDurabilityTests: DaemonTestCase {
    func testKillDuringInsertsLosesNothingAcknowledgedAndNoBatchIsPartial() throws {
        let store = "sqlite:" + directory.file("crash.db")
        let daemon = try startDaemon(arguments: ["--store", store])
        let socket = try connect()
        let batchSize = 50
        let base: Int64 = 1_738_228_500_000
        var acknowledged: [Int] = []
        let killer = Thread {
            usleep(400_000)
            daemon.signal(SIGKILL)
        }
        killer.start()
        // Keep several batches in flight so the kill lands mid-write.
        var batch = 0
        var pending: [Int32: Int] = [:]
        sending: while true {
            while pending.count < 4 {
                let ticks: [BSONValue] = (0..<batchSize).map { index in
                    ["product": "CRASH", "price": .double(100 + Double(index)), "timestamp": .datetime(base + Int64(batch * batchSize + index)),
                     "tick_id": .string("b\(batch)-\(index)")]
                }
                let id = Int32(batch + 1)
                do {
                    try socket.send(RequestBuilder.request(id: .int32(id), op: "ticks.insert", args: ["ticks": .array(ticks)]))
                } catch {
                    break sending
                }
                pending[id] = batch
                batch += 1
            }
            guard let reply = try? socket.receiveDocument() else { break }
            guard case .int32(let id) = reply["id"], let done = pending.removeValue(forKey: id) else { continue }
            XCTAssertEqual(reply["ok"], .bool(true), "\(reply)")
            XCTAssertEqual(reply["result"]?.documentValue?["inserted"], .int32(Int32(batchSize)))
            acknowledged.append(done)
        }
        XCTAssertNotNil(daemon.waitForExit(timeout: 10), "the daemon did not die")
        XCTAssertEqual(daemon.process.terminationReason, .uncaughtSignal, "the daemon was killed, not stopped")
        XCTAssertGreaterThan(acknowledged.count, 5, "the kill should land after some batches were acknowledged")

        // Restart on the same file (the killed daemon left its socket file: it is stale).
        try startDaemon(arguments: ["--store", store])
        let reader = try connect()
        var stored: [String] = []
        var cursor: String?
        repeat {
            var args: BSONDocument = ["product": "CRASH", "limit": 1000, "order": "asc"]
            if let cursor { args = args.appending("cursor", .string(cursor)) }
            try reader.send(RequestBuilder.request(id: 1, op: "ticks.query", args: args))
            let result = try XCTUnwrap(try reader.receiveDocument()?["result"]?.documentValue)
            stored += (result["ticks"]?.arrayValue ?? []).compactMap { $0.documentValue?["tick_id"]?.stringValue }
            cursor = result["next"]?.stringValue
        } while cursor != nil

        var perBatch: [Int: Int] = [:]
        for tickID in stored {
            let batchNumber = Int(tickID.dropFirst().split(separator: "-")[0]) ?? -1
            perBatch[batchNumber, default: 0] += 1
        }
        for done in acknowledged {
            XCTAssertEqual(perBatch[done], batchSize, "acknowledged batch \(done) must be complete")
        }
        for (batchNumber, count) in perBatch {
            XCTAssertEqual(count, batchSize, "batch \(batchNumber) is stored in part: \(count) of \(batchSize)")
        }
    }
}
