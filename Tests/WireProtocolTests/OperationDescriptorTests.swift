import BSONCore
import WireProtocol
import XCTest

final class OperationDescriptorTests: XCTestCase {
    private let descriptor = OperationDescriptor(
        name: "ticks.query", group: .read, summary: "Ticks of one product, newest first.",
        arguments: [
            .init("product", "string", required: true, "The product."),
            .init("limit", "int32|int64", "Page size."),
        ],
        result: "{product, count, ticks: [tick], next?}",
        errors: [.notFound, .invalidArgument]
    )

    func testDocument() {
        let expected: BSONDocument = [
            "name": "ticks.query",
            "group": "read",
            "summary": "Ticks of one product, newest first.",
            "args": [
                ["name": "product", "type": "string", "required": true, "summary": "The product."],
                ["name": "limit", "type": "int32|int64", "required": false, "summary": "Page size."],
            ],
            "result": "{product, count, ticks: [tick], next?}",
            "errors": ["NOT_FOUND", "INVALID_ARGUMENT"],
        ]
        XCTAssertEqual(descriptor.document, expected)
        XCTAssertEqual(descriptor.document.keys, ["name", "group", "summary", "args", "result", "errors"])
    }

    func testDocumentWithoutArgumentsOrErrors() {
        let bare = OperationDescriptor(name: "ping", group: .public, summary: "s", result: "{pong: true}")
        XCTAssertEqual(bare.document["args"], .array([]))
        XCTAssertEqual(bare.document["errors"], .array([]))
        XCTAssertEqual(bare.document["group"], "public")
    }

    func testArgumentDefaultsToOptional() {
        XCTAssertFalse(OperationDescriptor.Argument("a", "string", "s").required)
        XCTAssertTrue(OperationDescriptor.Argument("a", "string", required: true, "s").required)
    }

    func testGroups() {
        XCTAssertEqual(OperationDescriptor.Group.allCases.map(\.rawValue), ["public", "read", "write", "auth", "admin", "forward"])
    }

    func testCommonErrors() {
        XCTAssertEqual(OperationDescriptor.commonErrors, [
            .badRequest, .unknownOp, .invalidArgument, .permissionDenied,
            .deadlineExceeded, .resourceExhausted, .unavailable, .internalError,
        ])
        XCTAssertFalse(OperationDescriptor.commonErrors.contains(.badFrame), "BAD_FRAME is about connections, not operations")
    }

    func testDocumentIsAValidFrame() {
        XCTAssertNoThrow(try BSONDocument(validating: descriptor.document.bytes))
    }
}
