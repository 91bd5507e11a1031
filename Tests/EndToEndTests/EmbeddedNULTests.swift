import BSONCore
import Foundation
import TestSupport
import XCTest

/// The BSON corpus's documents with a NUL inside a string are valid BSON, so
/// the daemon answers each as a request — with its `id` where it has one —
/// and the connection goes on serving (PROTOCOL.md §3.2, §4.2).
final class EmbeddedNULTests: DaemonTestCase {
    /// The corpus's valid cases whose text holds a NUL: string, symbol, code,
    /// code-with-scope.
    private func corpusCases() throws -> [(name: String, bytes: [UInt8])] {
        let corpus = BuildProducts.repositoryRoot.appendingPathComponent("Tests/BSONCoreTests/bson-corpus")
        var cases: [(String, [UInt8])] = []
        for file in ["string.json", "symbol.json", "code.json", "code_w_scope.json"] {
            let root = try JSONSerialization.jsonObject(with: Data(contentsOf: corpus.appendingPathComponent(file))) as? [String: Any]
            for entry in root?["valid"] as? [[String: Any]] ?? [] {
                guard let description = entry["description"] as? String, description.lowercased().contains("null"),
                      let hex = entry["canonical_bson"] as? String
                else { continue }
                cases.append(("\(file): \(description)", Self.bytes(hex)))
            }
        }
        return cases
    }

    private static func bytes(_ hex: String) -> [UInt8] {
        var out: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex {
            let next = hex.index(index, offsetBy: 2)
            out.append(UInt8(hex[index..<next], radix: 16) ?? 0)
            index = next
        }
        return out
    }

    func testEveryCorpusDocumentWithANULIsAnsweredAndTheConnectionGoesOn() throws {
        try startDaemon(arguments: ["--store", "sqlite:" + directory.file("nul.db")])
        let cases = try corpusCases()
        XCTAssertEqual(cases.count, 4, "\(cases.map(\.name))")
        let socket = try connect()
        // Each corpus document as a whole frame (it has no id), then its one
        // element as an argument of a request with an id, pipelined.
        var stream: [UInt8] = []
        for (index, corpusCase) in cases.enumerated() {
            stream += corpusCase.bytes
            let element = Array(corpusCase.bytes[4..<(corpusCase.bytes.count - 1)])
            stream += RawBSON.document(
                RawBSON.element(0x10, "id", RawBSON.int32(Int32(100 + index))),
                RawBSON.element(0x02, "op", RawBSON.string(Array("ping".utf8))),
                RawBSON.element(0x03, "args", RawBSON.document(element))
            )
        }
        stream += RequestBuilder.ping(id: 999).bytes
        try socket.send(stream)
        for (index, corpusCase) in cases.enumerated() {
            let whole = try XCTUnwrap(try socket.receiveDocument(), corpusCase.name)
            XCTAssertNil(whole["id"], corpusCase.name)
            XCTAssertEqual(whole["error"]?.documentValue?["code"], "BAD_REQUEST", "\(corpusCase.name): \(whole)")
            let asArgument = try XCTUnwrap(try socket.receiveDocument(), corpusCase.name)
            XCTAssertEqual(asArgument["id"], .int32(Int32(100 + index)), corpusCase.name)
            XCTAssertEqual(asArgument["error"]?.documentValue?["code"], "INVALID_ARGUMENT", "\(corpusCase.name): \(asArgument)")
            XCTAssertEqual(asArgument["error"]?.documentValue?["details"]?.documentValue?["field"], "a", corpusCase.name)
        }
        let pong = try XCTUnwrap(try socket.receiveDocument())
        XCTAssertEqual(pong["id"], .int32(999))
        XCTAssertEqual(pong["ok"], .bool(true))
        // Still serving on the same connection.
        try socket.send(RequestBuilder.ping(id: 1000))
        XCTAssertEqual(try socket.receiveDocument()?["id"], .int32(1000))
    }
}
