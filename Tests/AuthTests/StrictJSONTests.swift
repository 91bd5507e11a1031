@testable import Auth
import Testing

/// The strict JSON reader behind token headers and claims: integers kept
/// apart from other numbers, repeated names and sloppy texts refused.
@Suite("Strict JSON")
struct StrictJSONTests {
    func parse(_ text: String) throws -> StrictJSON {
        try StrictJSON.parse(Array(text.utf8))
    }

    @Test func integersAreIntegersOnlyAsWritten() throws {
        #expect(try parse("0") == .integer(0))
        #expect(try parse("-0") == .integer(0))
        #expect(try parse("-9223372036854775808") == .integer(.min))
        #expect(try parse("9223372036854775807") == .integer(.max))
        #expect(try parse("9007199254740993") == .integer(9_007_199_254_740_993), "exact beyond 2^53")
        #expect(try parse("9223372036854775808") == .number(9_223_372_036_854_775_808), "out of Int64: a number")
        #expect(try parse("1.0") == .number(1))
        #expect(try parse("1e3") == .number(1000))
        #expect(try parse("1E3") == .number(1000))
        #expect(try parse("-2.5e-1") == .number(-0.25))
    }

    @Test func valuesAndStrings() throws {
        #expect(try parse(#" {"a": [true, false, null, "x"], "b": {}} "#) == .object([
            .init(name: "a", value: .array([.bool(true), .bool(false), .null, .string("x")])), .init(name: "b", value: .object([])),
        ]))
        #expect(try parse(#""\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00""#) == .string("\"\\/\u{8}\u{C}\n\r\té😀"))
        #expect(try parse(#"{"a": 1}"#)["a"] == .integer(1))
        #expect(try parse(#"{"a": 1}"#)["b"] == nil)
    }

    @Test func sloppyTextsAreRefused() {
        let bad = [
            "", " ", "01", "-", "1.", ".5", "1e", "+1", "0x10", "NaN", "Infinity", "tru", "nul", #"{"a":1,}"#, "[1,]", #"{"a" 1}"#,
            #"{a:1}"#, "'x'", #""unterminated"#, "\"tab\there\"", #""\x""#, #""\ud800""#, #""\udc00x""#, #""\u12""#,
            #"{"a":1,"a":2}"#, "1 2", "[1] x", "{}}", String(repeating: "[", count: 40) + String(repeating: "]", count: 40),
        ]
        for text in bad {
            #expect(throws: StrictJSON.Failure.self, "\(text.debugDescription)") { _ = try parse(text) }
        }
        #expect(throws: StrictJSON.Failure.self, "invalid UTF-8") { _ = try StrictJSON.parse([0x22, 0xFF, 0x22]) }
    }
}
