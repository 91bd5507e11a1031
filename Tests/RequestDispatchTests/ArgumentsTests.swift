import BSONCore
import RequestDispatch
import TestSupport
import WireProtocol
import XCTest

/// `Arguments`: the key rules every operation shares, checked against the
/// declared arguments, and the strict typed readers, which read each argument
/// as its declaration says (required or not, its type).
final class ArgumentsTests: XCTestCase {
    /// Asserts INVALID_ARGUMENT naming `field` with `reason`, in message and details.
    private func assertInvalid(_ expression: @autoclosure () throws -> some Any, field: String, reason: String,
                               file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try expression(), file: file, line: line) { error in
            XCTAssertEqual(error as? WireError, .invalidArgument(field: field, reason: reason), file: file, line: line)
        }
    }

    /// Declarations of `names`, all of `type`, required or not.
    private func declare(_ names: [String], _ type: String = "string", required: Bool = false) -> [OperationDescriptor.Argument] {
        names.map { OperationDescriptor.Argument($0, type, required: required, "test argument \($0)") }
    }

    private func arguments(_ document: BSONDocument, declaring declared: [OperationDescriptor.Argument],
                           file: StaticString = #filePath, line: UInt = #line) throws -> Arguments {
        do {
            return try Arguments(document, declared: declared)
        } catch {
            XCTFail("rejected \(document): \(error)", file: file, line: line)
            throw error
        }
    }

    // MARK: - Keys

    func testDeclaredKeysAreAccepted() throws {
        let args = try arguments(["a": 1, "b": "x"], declaring: declare(["a", "b", "c"]))
        XCTAssertEqual(args.value("a"), 1)
        XCTAssertEqual(args.value("b"), "x")
        XCTAssertNil(args.value("c"))
    }

    func testEmptyArgumentsAreAcceptedEvenWhenNothingIsDeclared() throws {
        let args = try arguments(BSONDocument(), declaring: [])
        XCTAssertNil(args.value("anything"))
    }

    func testUnknownKeyIsRejected() {
        assertInvalid(try Arguments(["limit": 1, "lmit": 2], declared: declare(["limit", "product"])),
                      field: "lmit", reason: "unknown argument (allowed: limit, product)")
    }

    func testAnyKeyIsUnknownWhenNothingIsDeclared() {
        assertInvalid(try Arguments(["x": 1], declared: declare([])), field: "x", reason: "unknown argument (this operation takes no arguments)")
    }

    func testKeysAreCaseSensitive() {
        assertInvalid(try Arguments(["Limit": 1], declared: declare(["limit"])), field: "Limit", reason: "unknown argument (allowed: limit)")
    }

    func testDollarKeyIsRejected() {
        for key in ["$where", "$gt", "$"] {
            // Even when a careless operation allows it.
            assertInvalid(try Arguments(BSONDocument([(key, BSONValue.string("1"))]), declared: declare([key])), field: key, reason: "keys may not start with '$'")
        }
    }

    func testDottedKeyIsRejected() {
        for key in ["a.b", ".", "a.", ".a"] {
            assertInvalid(try Arguments(BSONDocument([(key, BSONValue.int32(1))]), declared: declare([key])), field: key, reason: "keys may not contain '.'")
        }
    }

    func testEmptyKeyIsRejected() {
        assertInvalid(try Arguments(["": 1], declared: declare([""])), field: "", reason: "empty key")
    }

    func testDuplicateKeyIsRejected() throws {
        let pairs: [(String, BSONValue)] = [("limit", 1), ("product", "X"), ("limit", 2)]
        assertInvalid(try Arguments(BSONDocument(pairs), declared: declare(["limit", "product"])), field: "limit", reason: "given more than once")
    }

    func testKeyRulesComeBeforeTheDeclarations() {
        assertInvalid(try Arguments(["$x": 1], declared: declare(["a"])), field: "$x", reason: "keys may not start with '$'")
    }

    func testCheckKeyNamesThePath() {
        XCTAssertNoThrow(try Arguments.checkKey("price", path: "ticks.0.price"))
        assertInvalid(try Arguments.checkKey("$inc", path: "ticks.3.$inc"), field: "ticks.3.$inc", reason: "keys may not start with '$'")
        assertInvalid(try Arguments.checkKey("a.b", path: "chains.0.a.b"), field: "chains.0.a.b", reason: "keys may not contain '.'")
        assertInvalid(try Arguments.checkKey("", path: "quotes.1."), field: "quotes.1.", reason: "empty key")
    }

    func testNestedKeysAreNotChecked() throws {
        // Only the top level is checked here; operations check stored documents themselves.
        let args = try arguments(["doc": ["$set": 1, "a.b": 2]], declaring: declare(["doc"], "document"))
        XCTAssertEqual(args.value("doc")?.documentValue?.keys, ["$set", "a.b"])
    }

    func testFailuresCarryFieldAndReasonDetails() {
        XCTAssertThrowsError(try Arguments(["a.b": 1], declared: declare([]))) { error in
            let wire = error as? WireError
            XCTAssertEqual(wire?.code, .invalidArgument)
            XCTAssertEqual(wire?.message, "a.b: keys may not contain '.'")
            XCTAssertEqual(wire?.details, ["field": "a.b", "reason": "keys may not contain '.'"])
        }
    }

    // MARK: - string

    func testString() throws {
        let args = try arguments(["s": "hello", "e": ""], declaring: declare(["s", "e", "absent"]))
        XCTAssertEqual(try args.string("s"), "hello")
        XCTAssertEqual(try args.string("e"), "")
        XCTAssertNil(try args.string("absent"))
    }

    func testStringWrongTypes() throws {
        for value: BSONValue in [1, .symbol("s"), .javascript("s"), nil, ["s"], .binary(subtype: 0, data: [0x61])] {
            let args = try arguments(["s": value], declaring: declare(["s"]))
            assertInvalid(try args.string("s"), field: "s", reason: "must be string, got \(value.typeName)")
        }
    }

    func testStringLengthIsCountedInBytes() throws {
        let args = try arguments(["ascii": .string(String(repeating: "a", count: 8)), "accents": .string(String(repeating: "é", count: 5))],
                                 declaring: declare(["ascii", "accents"]))
        XCTAssertEqual(try args.string("ascii", maxBytes: 8)?.count, 8)
        assertInvalid(try args.string("ascii", maxBytes: 7), field: "ascii", reason: "longer than 7 bytes")
        XCTAssertEqual(try args.string("accents", maxBytes: 10)?.count, 5)
        assertInvalid(try args.string("accents", maxBytes: 9), field: "accents", reason: "longer than 9 bytes")
    }

    func testStringDefaultLimitIs1024Bytes() throws {
        let ok = try arguments(["s": .string(String(repeating: "x", count: 1024))], declaring: declare(["s"]))
        XCTAssertNotNil(try ok.string("s"))
        let long = try arguments(["s": .string(String(repeating: "x", count: 1025))], declaring: declare(["s"]))
        assertInvalid(try long.string("s"), field: "s", reason: "longer than 1024 bytes")
    }

    // MARK: - integer

    private let integer = "int32|int64"

    func testInteger() throws {
        let args = try arguments(["a": .int32(5), "b": .int64(6_000_000_000)], declaring: declare(["a", "b", "c"], integer))
        XCTAssertEqual(try args.integer("a", in: 1...10), 5)
        XCTAssertEqual(try args.integer("b", in: 0...Int64.max), 6_000_000_000)
        XCTAssertNil(try args.integer("c", in: 1...10))
    }

    func testIntegerWrongTypes() throws {
        // A double where an integer is expected is refused, even a whole one.
        for value: BSONValue in [.double(5), .double(5.5), "5", .bool(true), .datetime(5), .decimal128(BSONDecimal128("5")!), .timestamp(seconds: 5, increment: 0)] {
            let args = try arguments(["limit": value], declaring: declare(["limit"], integer))
            assertInvalid(try args.integer("limit", in: 1...1000), field: "limit", reason: "must be int32 or int64, got \(value.typeName)")
        }
    }

    func testIntegerRange() throws {
        for (value, ok) in [(0, false), (1, true), (1000, true), (1001, false), (-1, false)] as [(Int64, Bool)] {
            let args = try arguments(["limit": .int64(value)], declaring: declare(["limit"], integer))
            if ok {
                XCTAssertEqual(try args.integer("limit", in: 1...1000), value)
            } else {
                assertInvalid(try args.integer("limit", in: 1...1000), field: "limit", reason: "must be between 1 and 1000, got \(value)")
            }
        }
    }

    func testIntegerRangeAppliesToInt32Too() throws {
        let args = try arguments(["n": .int32(.min)], declaring: declare(["n"], integer))
        assertInvalid(try args.integer("n", in: 0...10), field: "n", reason: "must be between 0 and 10, got -2147483648")
    }

    // MARK: - bool

    func testBool() throws {
        let args = try arguments(["t": true, "f": false], declaring: declare(["t", "f", "x"], "bool"))
        XCTAssertEqual(try args.bool("t"), true)
        XCTAssertEqual(try args.bool("f"), false)
        XCTAssertNil(try args.bool("x"))
    }

    func testBoolWrongTypes() throws {
        for value: BSONValue in [1, 0, "true", nil] {
            let args = try arguments(["b": value], declaring: declare(["b"], "bool"))
            assertInvalid(try args.bool("b"), field: "b", reason: "must be bool, got \(value.typeName)")
        }
    }

    // MARK: - datetime

    func testDatetime() throws {
        let args = try arguments(["start": .datetime(1_738_228_500_000), "old": .datetime(-1)], declaring: declare(["start", "old", "end"], "datetime"))
        XCTAssertEqual(try args.datetime("start"), 1_738_228_500_000)
        XCTAssertEqual(try args.datetime("old"), -1)
        XCTAssertNil(try args.datetime("end"))
    }

    func testDatetimeWrongTypes() throws {
        // An ISO-8601 string or a number where a time is expected is refused.
        for value: BSONValue in ["2025-01-30T09:15:00Z", .int64(1_738_228_500_000), .int32(0), .double(1.7e12), .timestamp(seconds: 1, increment: 1), ["$date": "2025-01-30T09:15:00Z"]] {
            let args = try arguments(["start": value], declaring: declare(["start"], "datetime"))
            assertInvalid(try args.datetime("start"), field: "start", reason: "must be datetime, got \(value.typeName)")
        }
    }

    // MARK: - array

    func testArray() throws {
        let args = try arguments(["a": [1, "two"], "empty": []], declaring: declare(["a", "empty", "x"], "array<string>"))
        XCTAssertEqual(try args.array("a", type: "array<string>"), [.int32(1), .string("two")])
        XCTAssertEqual(try args.array("empty", type: "array<string>"), [])
        XCTAssertNil(try args.array("x", type: "array<string>"))
    }

    func testArrayWrongTypes() throws {
        for value: BSONValue in [["0": 1], "[]", 1, nil] {
            let args = try arguments(["a": value], declaring: declare(["a"], "array<document>", required: true))
            assertInvalid(try args.requiredArray("a", type: "array<document>"), field: "a", reason: "must be array, got \(value.typeName)")
        }
    }

    // MARK: - required

    func testRequiredArgumentsAreReadWithoutOptionals() throws {
        let declared = declare(["present", "s"], required: true) + declare(["a"], "array<document>", required: true)
        let args = try arguments(["present": "x"], declaring: declared)
        let present: String = try args.requiredString("present")
        XCTAssertEqual(present, "x")
        assertInvalid(try args.requiredString("s"), field: "s", reason: "required")
        assertInvalid(try args.requiredArray("a", type: "array<document>"), field: "a", reason: "required")
    }

    func testNullIsNotAbsent() throws {
        // An explicit null is a value of the wrong type, not a missing argument.
        let optional = try arguments(["s": nil], declaring: declare(["s"]))
        assertInvalid(try optional.string("s"), field: "s", reason: "must be string, got null")
        let required = try arguments(["s": nil], declaring: declare(["s"], required: true))
        assertInvalid(try required.requiredString("s"), field: "s", reason: "must be string, got null")
    }

    func testWrongType() {
        XCTAssertEqual(Arguments.wrongType("limit", "int32 or int64", .double(2)),
                       WireError.invalidArgument(field: "limit", reason: "must be int32 or int64, got double"))
    }

    // MARK: - Reading against the declaration

    /// Asserts the read is refused as the server's own bug (a `Misread`, answered INTERNAL), not the client's.
    private func assertMisread(_ expression: @autoclosure () throws -> some Any, saying text: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try expression(), file: file, line: line) { error in
            XCTAssertNil(error as? WireError, "a misread is not the client's error", file: file, line: line)
            XCTAssertTrue(String(describing: error).contains(text), "\(error)", file: file, line: line)
        }
    }

    func testAReaderThatDisagreesWithTheDeclarationIsTheServersBug() throws {
        let args = try arguments(["product": "NIFTY", "limit": 5], declaring: declare(["product"], required: true) + declare(["limit"], integer))
        assertMisread(try args.string("product"), saying: "as optional, its descriptor declares it required")
        assertMisread(try args.requiredString("limit"), saying: "as required, its descriptor declares it optional")
        assertMisread(try args.string("limit"), saying: "as string, its descriptor declares int32|int64")
        assertMisread(try args.datetime("start"), saying: "which its descriptor does not declare")
        XCTAssertEqual(try args.requiredString("product"), "NIFTY")
        XCTAssertEqual(try args.integer("limit", in: 1...10), 5)
    }

    // MARK: - Array keys

    private func withArray(_ name: String, keys: [String]) throws -> BSONDocument {
        try BSONDocument(validating: RawBSON.document(RawBSON.array(name, keys: keys)))
    }

    func testArrayArgumentsMustBeNumberedInOrder() throws {
        XCTAssertNoThrow(try Arguments(try withArray("fields", keys: ["0", "1"]), declared: declare(["fields"], "array<string>")))
        assertInvalid(try Arguments(try withArray("fields", keys: ["0", "0"]), declared: declare(["fields"])),
                      field: "fields", reason: "array keys must be \"0\", \"1\", … in order: element 1 has the key \"0\"")
        assertInvalid(try Arguments(try withArray("ticks", keys: ["1", "0"]), declared: declare(["ticks"])),
                      field: "ticks", reason: "array keys must be \"0\", \"1\", … in order: element 0 has the key \"1\"")
    }
}
