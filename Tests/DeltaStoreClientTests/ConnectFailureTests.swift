#if canImport(Glibc)
import Glibc
#endif
import DeltaStoreClient
import Foundation
import TestSupport
import XCTest

/// A connect that fails says where, what is there, and never NIO's raw
/// `connect(descriptor:addr:size:)` text.
final class ConnectFailureTests: XCTestCase {
    var directory: TemporaryDirectory!

    override func setUpWithError() throws { directory = try TemporaryDirectory(prefix: "dscf") }
    override func tearDown() { directory?.remove() }

    private func connectionFailure(_ path: String) async -> String? {
        do {
            let connection = try await DeltaStoreConnection.connect(socketPath: path)
            await connection.close()
            XCTFail("connected to \(path)")
            return nil
        } catch let error as DeltaStoreError {
            guard case .connection(let reason) = error else { XCTFail("not a connection error: \(error)"); return nil }
            XCTAssertEqual(error.code, .unavailable)
            return reason
        } catch {
            XCTFail("not a DeltaStoreError: \(error)")
            return nil
        }
    }

    func testNoSocketFileSaysNothingRunsThere() async throws {
        let path = directory.file("absent.sock")
        let failure = await connectionFailure(path)
        let reason = try XCTUnwrap(failure)
        XCTAssertEqual(reason, "no socket at \(path): deltastored is not running there (or listens elsewhere)")
    }

    func testASocketFileNobodyListensOnIsCalledLeftOver() async throws {
        let path = directory.file("stale.sock")
        try StaleSocketFile.create(at: path)
        let failure = await connectionFailure(path)
        let reason = try XCTUnwrap(failure)
        XCTAssertTrue(reason.hasPrefix("nothing listens on \(path)"), reason)
    }

    func testAPlainFileIsNotASocket() async throws {
        let path = directory.file("plain")
        XCTAssertTrue(FileManager.default.createFile(atPath: path, contents: Data("x".utf8)))
        let failure = await connectionFailure(path)
        let reason = try XCTUnwrap(failure)
        XCTAssertTrue(reason.contains(path), reason)
        XCTAssertFalse(reason.contains("descriptor:addr"), reason)
    }

    func testATooLongPathIsNamedSo() async throws {
        let path = "/tmp/" + String(repeating: "d", count: 120) + ".sock"
        let failure = await connectionFailure(path)
        let reason = try XCTUnwrap(failure)
        XCTAssertTrue(reason.contains("longer than a Unix socket address holds"), reason)
    }
}
