import BSONCore
import Foundation
import TestSupport
import XCTest

/// `proto-spec/vectors`: every document vector decodes and equals its
/// extended-JSON twin, and every case, sent to a freshly started daemon on an
/// empty store (in manifest order, each on its own connection), gets the reply
/// the vector says.
final class ProtocolVectorTests: DaemonTestCase {
    var vectors: URL { VectorFiles.directory }

    func manifest() throws -> VectorFiles.Manifest {
        let manifest = try VectorFiles.manifest()
        XCTAssertEqual(manifest.version, 1)
        XCTAssertGreaterThan(manifest.cases.count, 50, "the manifest lost its cases")
        return manifest
    }

    func document(_ base: String) throws -> BSONDocument {
        try VectorFiles.document(base)
    }

    func testEveryDocumentVectorEqualsItsExtendedJSONTwin() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: vectors.path).filter { $0.hasSuffix(".bson") }
        XCTAssertGreaterThan(files.count, 100)
        for file in files {
            let base = String(file.dropLast(".bson".count))
            let bson = try document(base)
            let json = try String(contentsOf: vectors.appendingPathComponent(base + ".json"), encoding: .utf8)
            // Same meaning: the .bson printed as canonical extended JSON equals the twin.
            let printed = try JSONSerialization.jsonObject(with: Data(bson.canonicalExtendedJSON.utf8)) as? NSDictionary
            let twin = try JSONSerialization.jsonObject(with: Data(json.utf8)) as? NSDictionary
            XCTAssertNotNil(twin, base)
            XCTAssertEqual(printed, twin, "\(base): .bson and .json disagree")
            // Same bytes: the twin parsed back gives the .bson exactly (libbson's JSON
            // parser stops short of the frame depth limit, the project's reader
            // refuses text with a NUL, as stores do, and JSON cannot write an
            // array's keys; such vectors are checked above only, and by
            // generate.py with pymongo).
            let holdsNUL = try BSONDocument.validatingSpecification(bson.bytes).firstEmbeddedNUL != nil
            if let misnumbered = bson.firstMisnumberedArray() {
                XCTAssertTrue(base.contains("misnumbered"), "\(base): an array numbered otherwise than 0, 1, … (\(misnumbered))")
                continue
            }
            switch Result(catching: { () throws(BSONError) -> BSONDocument in try BSONDocument(extendedJSON: json) }) {
            case .success(let parsed):
                XCTAssertEqual(parsed, bson, "\(base): .json does not encode to the .bson bytes")
            case .failure(let error):
                XCTAssertTrue(error.description.contains("LEVELS_EXCEEDED") || holdsNUL && error.description.contains("contains a NUL byte"), "\(base): \(error)")
            }
        }
    }

    func testEveryCaseAgainstTheDaemon() throws {
        try startDaemon(arguments: ["--store", "sqlite:" + directory.file("vectors.db")])
        for vector in try manifest().cases {
            let expected = try document(vector.reply)
            let socket = try connect()
            defer { socket.close() }
            if let request = vector.request {
                try socket.send(try document(request).bytes)
            } else if let stream = vector.stream {
                try socket.send(try VectorFiles.stream(stream))
                socket.shutdownWrite()
            } else {
                XCTFail("\(vector.name): neither request nor stream")
                continue
            }
            guard let actual = try socket.receiveDocument() else {
                XCTFail("\(vector.name): connection closed without a reply")
                continue
            }
            let differences = VectorComparison.differences(expected: expected, actual: actual, ignore: Set(vector.ignore))
            XCTAssertTrue(differences.isEmpty, "\(vector.name): \(differences.joined(separator: "; "))\nexpected \(expected)\nactual   \(actual)")
            if vector.closes {
                XCTAssertTrue(try socket.isAtEOF(), "\(vector.name): the server should close the connection")
            }
        }
    }
}
