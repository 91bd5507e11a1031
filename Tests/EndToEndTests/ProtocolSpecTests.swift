import BSONCore
import Foundation
import TestSupport
import XCTest

/// `proto-spec/PROTOCOL.md` is exactly true of the daemon's self-description:
/// for every operation the daemon registers (started as it is run, on a
/// SQLite store in a temporary directory), `describe` lists the arguments
/// that §14's table of the operation lists — the same names, types and
/// required flags — and every operation of §14 is one the daemon has; and the
/// `hello` vector's operations, the spec's `hello` example and the daemon's
/// `hello` name the same operations in the same order.
final class ProtocolSpecTests: DaemonTestCase {
    private var specText: String {
        get throws { try String(contentsOf: BuildProducts.repositoryRoot.appendingPathComponent("proto-spec/PROTOCOL.md"), encoding: .utf8) }
    }

    private func describedOperations(_ session: RequestSession) throws -> [(op: String, arguments: [SpecArgumentTables.Argument])] {
        let ops = try session.result("describe")["ops"]?.arrayValue ?? []
        return try ops.map { value in
            let descriptor = try XCTUnwrap(value.documentValue)
            let name = try XCTUnwrap(descriptor["name"]?.stringValue)
            let arguments = try (descriptor["args"]?.arrayValue ?? []).map { argument in
                let document = try XCTUnwrap(argument.documentValue)
                return SpecArgumentTables.Argument(
                    name: try XCTUnwrap(document["name"]?.stringValue), type: try XCTUnwrap(document["type"]?.stringValue),
                    required: try XCTUnwrap(document["required"]?.boolValue)
                )
            }
            return (name, arguments)
        }
    }

    func testDescribeMatchesTheSpecsArgumentTablesForEveryOperation() throws {
        try startDaemon(arguments: ["--store", "sqlite:" + directory.file("spec.db")])
        let session = RequestSession(try connect())
        defer { session.close() }
        let described = try describedOperations(session)
        let specified = try SpecArgumentTables.parse(try specText)
        XCTAssertGreaterThan(described.count, 20, "describe lost operations")
        XCTAssertGreaterThan(specified.count, 20, "the spec's §14 headings were not found")

        let specOps = Dictionary(specified.map { ($0.op, $0.arguments) }, uniquingKeysWith: { first, _ in first })
        let daemonOps = Dictionary(described.map { ($0.op, $0.arguments) }, uniquingKeysWith: { first, _ in first })
        XCTAssertEqual(specOps.count, specified.count, "an operation has two sections in §14")
        for (op, arguments) in described {
            guard let spec = specOps[op] else {
                XCTFail("\(op): the daemon has it, §14 has no section for it")
                continue
            }
            // The spec's table order is the reader's; compare as sets by name, then each argument.
            XCTAssertEqual(Set(arguments.map(\.name)), Set(spec.map(\.name)), "\(op): argument names, daemon versus spec")
            for argument in arguments {
                guard let specArgument = spec.first(where: { $0.name == argument.name }) else { continue }
                XCTAssertEqual(argument, specArgument, "\(op): describe says \(argument), the spec says \(specArgument)")
            }
        }
        for (op, _) in specified where daemonOps[op] == nil {
            XCTFail("\(op): §14 specifies it, the daemon on SQLite does not describe it")
        }
    }

    func testHelloVectorSpecAndDaemonNameTheSameOperations() throws {
        try startDaemon(arguments: ["--store", "sqlite:" + directory.file("spec.db")])
        let session = RequestSession(try connect())
        defer { session.close() }
        let daemon = (try session.result("hello")["ops"]?.arrayValue ?? []).compactMap(\.stringValue)
        let described = try describedOperations(session).map(\.op)
        XCTAssertEqual(described, daemon, "describe lists the operations in hello's order")

        let vector = try VectorFiles.document("hello.reply")
        let vectorOps = (vector["result"]?.documentValue?["ops"]?.arrayValue ?? []).compactMap(\.stringValue)
        XCTAssertEqual(vectorOps, daemon, "proto-spec/vectors/hello.reply (generate.py) versus the daemon's hello")

        // §14.1.1's example: the `"ops": [...]` of the hello reply, over its lines.
        let text = try specText
        let example = try XCTUnwrap(text.range(of: "\"ops\": [\"hello\""), "§14.1.1's hello example")
        let end = try XCTUnwrap(text[example.upperBound...].firstIndex(of: "]"))
        let listed = SpecArgumentTables.quoted(String(text[example.lowerBound..<end]).replacingOccurrences(of: "\"ops\":", with: ""))
        XCTAssertEqual(listed, daemon, "PROTOCOL.md §14.1.1's hello example versus the daemon's hello")
    }
}
