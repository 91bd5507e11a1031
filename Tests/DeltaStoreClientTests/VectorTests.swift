import BSONCore
@testable import DeltaStoreClient
import Foundation
import TestSupport
import WireProtocol
import XCTest

/// The client's envelope encoding and reply handling against
/// `proto-spec/vectors`: offline on the files, and online through the client's
/// own connection (its frame decoder and its reply router, which must match
/// replies by id *and* id type) against a daemon on a fresh store.
final class VectorTests: XCTestCase {
    func testEveryReplyVectorDecodesToTheRightOutcome() throws {
        let cases = try VectorFiles.manifest().cases
        XCTAssertGreaterThan(cases.count, 50)
        for vector in cases {
            let document = try VectorFiles.document(vector.reply)
            let reply = try XCTUnwrap(Reply(document), "\(vector.name): the client does not read its reply")
            // Nothing is lost: the reply the client read encodes back to the same bytes.
            XCTAssertEqual(reply.document, document, vector.name)
            switch reply {
            case .success(let id, let result):
                XCTAssertEqual(id.bsonValue, document["id"], vector.name)
                XCTAssertEqual(result, document["result"]?.documentValue, vector.name)
            case .failure(let id, let wire):
                XCTAssertEqual(id?.bsonValue, document["id"], vector.name)
                let error = DeltaStoreError.server(wire)
                let expectedCode = document["error"]?.documentValue?["code"]?.stringValue
                XCTAssertEqual(error.code?.rawValue, expectedCode, vector.name)
                XCTAssertEqual(error.details, document["error"]?.documentValue?["details"]?.documentValue, vector.name)
                if expectedCode == "INVALID_ARGUMENT" {
                    XCTAssertNotNil(error.field, "\(vector.name): INVALID_ARGUMENT without details.field")
                }
            }
        }
    }

    func testTheClientEncodesEveryValidRequestVectorToItsBytes() throws {
        var compared = 0
        for vector in try VectorFiles.manifest().cases {
            guard let base = vector.request else { continue }
            let bytes = try VectorFiles.document(base)
            guard case .success(let request) = Request.parse(bytes), bytes.duplicateKey == nil else { continue }
            // The client writes what the vector holds, up to two encodings it
            // never chooses: an explicit empty `args`, and an int32 `deadline_ms`.
            var expected = bytes
            if expected["args"] == .document(BSONDocument()) { expected = expected.removing(["args"]) }
            if case .int32(let ms)? = expected["deadline_ms"] { expected = expected.setting("deadline_ms", .int64(Int64(ms))) }
            let encoded = Request(id: request.id, op: request.op, args: request.args, deadlineMilliseconds: request.deadlineMilliseconds).document
            XCTAssertEqual(encoded, expected, "\(vector.name): \(encoded) instead of \(expected)")
            compared += 1
        }
        XCTAssertGreaterThan(compared, 60, "too few request vectors compared")
    }

    func testEveryCaseThroughTheClientConnection() async throws {
        let directory = try TemporaryDirectory(prefix: "dsv")
        defer { directory.remove() }
        let socketPath = directory.file("d.sock")
        let daemon = try DaemonProcess(socketPath: socketPath, arguments: ["--store", "sqlite:" + directory.file("v.db")], workingDirectory: directory.path)
        defer { daemon.stop(grace: 5) }
        try daemon.waitUntilListening()

        var throughRouter = 0
        for vector in try VectorFiles.manifest().cases {
            let expected = try VectorFiles.document(vector.reply)
            let actual: BSONDocument
            if let base = vector.request, let idValue = expected["id"], let id = RequestID(idValue) {
                // A fresh client connection per case, as the vectors require.
                let connection = try await DeltaStoreConnection.connect(socketPath: socketPath)
                let reply = try await connection.submit(document: try VectorFiles.document(base), id: id, timeout: .seconds(10))
                await connection.close()
                actual = reply.document
                throughRouter += 1
            } else {
                // No id to match (BAD_FRAME, BAD_REQUEST about the id): raw bytes,
                // the reply read with the client's reply parser.
                let socket = try RawSocket(connectingTo: socketPath)
                defer { socket.close() }
                if let base = vector.request {
                    try socket.send(try VectorFiles.document(base).bytes)
                } else if let base = vector.stream {
                    try socket.send(try VectorFiles.stream(base))
                    socket.shutdownWrite()
                }
                let raw = try XCTUnwrap(try socket.receiveDocument(), "\(vector.name): no reply")
                let reply = try XCTUnwrap(Reply(raw), "\(vector.name): not a reply")
                XCTAssertNil(reply.id, vector.name)
                actual = reply.document
                if vector.closes { XCTAssertTrue(try socket.isAtEOF(), "\(vector.name): should close") }
            }
            let differences = VectorComparison.differences(expected: expected, actual: actual, ignore: Set(vector.ignore))
            XCTAssertTrue(differences.isEmpty, "\(vector.name): \(differences.joined(separator: "; "))")
        }
        XCTAssertGreaterThan(throughRouter, 80)
    }
}
