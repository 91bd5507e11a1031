import BSONCore
import Foundation
import FuzzSupport
import XCTest

/// The fuzz target's body runs on the protocol vectors (its seed corpus), on
/// every input in Tests/FuzzRegressions (crashes the fuzzer found, kept), and on
/// deterministic mutations of them without crashing; the libFuzzer run itself
/// is `scripts/fuzz.sh`, in CI.
final class FuzzHarnessTests: XCTestCase {
    func testSeedCorpusAndMutations() throws {
        var directory = URL(fileURLWithPath: #filePath)
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path) { directory.deleteLastPathComponent() }
        let vectors = directory.appendingPathComponent("proto-spec/vectors")
        let regressions = directory.appendingPathComponent("Tests/FuzzRegressions")
        let files = try FileManager.default.contentsOfDirectory(atPath: vectors.path).filter { $0.hasSuffix(".bson") || $0.hasSuffix(".bin") }
            .map { vectors.appendingPathComponent($0) }
            + FileManager.default.contentsOfDirectory(atPath: regressions.path).map { regressions.appendingPathComponent($0) }
        XCTAssertGreaterThan(files.count, 100)
        var state: UInt64 = 0x5EED
        func next() -> UInt64 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return state >> 33
        }
        // Every kind of query is built from some input (the seeds hold every
        // query operation's vectors), so query building is fuzzed too.
        let built = QueryCounts()
        let builders = FuzzHarness.QueryBuilders(
            ticks: { _ in built.add("ticks") }, quotes: { _ in built.add("quotes") },
            chains: { _ in built.add("chains") }, bars: { _ in built.add("bars") }
        )
        var inputs = 0
        for file in files {
            let seed = try [UInt8](Data(contentsOf: file))
            FuzzHarness.run(seed, builders: builders)
            inputs += 1
            for _ in 0..<20 where !seed.isEmpty {
                var mutated = seed
                for _ in 0..<(1 + Int(next() % 4)) {
                    mutated[Int(next() % UInt64(mutated.count))] = UInt8(truncatingIfNeeded: next())
                }
                FuzzHarness.run(mutated, builders: builders)
                FuzzHarness.run(Array(mutated.prefix(Int(next() % UInt64(mutated.count + 1)))), builders: builders)
                inputs += 2
            }
        }
        XCTAssertGreaterThan(inputs, 5000)
        for kind in ["ticks", "quotes", "chains", "bars"] {
            XCTAssertGreaterThan(built.count(kind), 0, "queries of \(kind) built")
        }
    }
}

/// How many queries of each kind the harness built (from any thread).
final class QueryCounts: @unchecked Sendable {
    private let lock = NSLock()
    private var counts: [String: Int] = [:]

    func add(_ kind: String) {
        lock.lock(); defer { lock.unlock() }
        counts[kind, default: 0] += 1
    }

    func count(_ kind: String) -> Int {
        lock.lock(); defer { lock.unlock() }
        return counts[kind, default: 0]
    }
}
