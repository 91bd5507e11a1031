/// A JSON text (RFC 8259) read strictly, keeping an integer apart from every
/// other number: what a token's header and claims are checked against.
///
/// Why not Foundation's readers: measured on this platform, `JSONDecoder`
/// decodes `1.0`, `1e3` and `1E3` into an `Int64` without complaint, and
/// `JSONSerialization` hands back `-9223372036854775808` as a
/// floating-point `NSDecimalNumber`; neither says how a number was written.
/// The claims `exp`, `iat` and `nbf` must be integers (PROTOCOL.md §14.3.2),
/// so the lexeme decides: a number written `-?(0|[1-9][0-9]*)` that fits an
/// `Int64` is an `.integer`; anything with a fraction or an exponent, or out
/// of range, is a `.number`.
///
/// Strict in every other way too: one value and nothing after it but white
/// space; no duplicate member names (RFC 7519 §4 allows refusing them, and a
/// duplicate `exp` must not be read two ways); strings of valid UTF-8 with
/// only the escapes RFC 8259 defines (a lone surrogate is refused); no
/// control character unescaped; nesting at most `maximumDepth`.
enum StrictJSON: Equatable, Sendable {
    case object([Member])
    case array([StrictJSON])
    case string(String)
    case integer(Int64)
    /// A number with a fraction or an exponent, or an integer outside `Int64`.
    case number(Double)
    case bool(Bool)
    case null

    struct Member: Equatable, Sendable {
        var name: String
        var value: StrictJSON
    }

    struct Failure: Error, Equatable, CustomStringConvertible {
        var description: String
    }

    static let defaultMaximumDepth = 16

    static func parse(_ bytes: [UInt8], maximumDepth: Int = defaultMaximumDepth) throws(Failure) -> StrictJSON {
        var reader = Reader(bytes: bytes, maximumDepth: maximumDepth)
        reader.skipWhiteSpace()
        let value = try reader.value(depth: 0)
        reader.skipWhiteSpace()
        guard reader.atEnd else { throw Failure(description: "text after the JSON value") }
        return value
    }

    /// The member `name` of an object (nil for a missing member or a non-object).
    subscript(name: String) -> StrictJSON? {
        guard case .object(let members) = self else { return nil }
        return members.first { $0.name == name }?.value
    }

    /// A short name of the value's type, for error messages.
    var typeName: String {
        switch self {
        case .object: return "an object"
        case .array: return "an array"
        case .string: return "a string"
        case .integer: return "an integer"
        case .number: return "a non-integer number"
        case .bool: return "a boolean"
        case .null: return "null"
        }
    }

    private struct Reader {
        let bytes: [UInt8]
        let maximumDepth: Int
        var index = 0

        init(bytes: [UInt8], maximumDepth: Int) {
            self.bytes = bytes
            self.maximumDepth = maximumDepth
        }

        var atEnd: Bool { index >= bytes.count }

        func fail(_ reason: String) -> Failure { Failure(description: "\(reason) at byte \(index)") }

        mutating func skipWhiteSpace() {
            while index < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        }

        mutating func expect(_ literal: String) throws(Failure) {
            for byte in literal.utf8 {
                guard index < bytes.count, bytes[index] == byte else { throw fail("invalid literal") }
                index += 1
            }
        }

        mutating func value(depth: Int) throws(Failure) -> StrictJSON {
            guard index < bytes.count else { throw fail("unexpected end") }
            switch bytes[index] {
            case UInt8(ascii: "{"): return try object(depth: depth + 1)
            case UInt8(ascii: "["): return try array(depth: depth + 1)
            case UInt8(ascii: "\""): return .string(try string())
            case UInt8(ascii: "t"): try expect("true"); return .bool(true)
            case UInt8(ascii: "f"): try expect("false"); return .bool(false)
            case UInt8(ascii: "n"): try expect("null"); return .null
            case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try number()
            default: throw fail("unexpected character")
            }
        }

        mutating func object(depth: Int) throws(Failure) -> StrictJSON {
            guard depth <= maximumDepth else { throw fail("nested deeper than \(maximumDepth)") }
            index += 1
            var members: [Member] = []
            // The names seen, for the repeated-name check in constant time per member
            // (a header is read before its signature is checked: anyone may send one).
            var names: Set<String> = []
            skipWhiteSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
                index += 1
                return .object(members)
            }
            while true {
                skipWhiteSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw fail("expected a member name") }
                let name = try string()
                guard names.insert(name).inserted else { throw fail("duplicate member '\(name.prefix(32))'") }
                skipWhiteSpace()
                guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                index += 1
                skipWhiteSpace()
                members.append(Member(name: name, value: try value(depth: depth)))
                skipWhiteSpace()
                guard index < bytes.count else { throw fail("unexpected end") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "}") { index += 1; return .object(members) }
                throw fail("expected ',' or '}'")
            }
        }

        mutating func array(depth: Int) throws(Failure) -> StrictJSON {
            guard depth <= maximumDepth else { throw fail("nested deeper than \(maximumDepth)") }
            index += 1
            var elements: [StrictJSON] = []
            skipWhiteSpace()
            if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
                index += 1
                return .array(elements)
            }
            while true {
                skipWhiteSpace()
                elements.append(try value(depth: depth))
                skipWhiteSpace()
                guard index < bytes.count else { throw fail("unexpected end") }
                if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
                if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(elements) }
                throw fail("expected ',' or ']'")
            }
        }

        mutating func number() throws(Failure) -> StrictJSON {
            let start = index
            var integral = true
            if bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, isDigit(bytes[index]) else { throw fail("a digit must follow '-'") }
            if bytes[index] == UInt8(ascii: "0") {
                index += 1
            } else {
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                integral = false
                index += 1
                guard index < bytes.count, isDigit(bytes[index]) else { throw fail("a digit must follow '.'") }
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
                integral = false
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
                guard index < bytes.count, isDigit(bytes[index]) else { throw fail("a digit must follow the exponent") }
                while index < bytes.count, isDigit(bytes[index]) { index += 1 }
            }
            let text = String(decoding: bytes[start..<index], as: UTF8.self)
            if integral, let value = Int64(text) { return .integer(value) }
            return .number(Double(text) ?? .nan)
        }

        func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

        mutating func string() throws(Failure) -> String {
            index += 1 // the opening quote
            var utf8: [UInt8] = []
            while true {
                guard index < bytes.count else { throw fail("unterminated string") }
                let byte = bytes[index]
                index += 1
                switch byte {
                case UInt8(ascii: "\""):
                    guard let text = String(validating: utf8, as: UTF8.self) else { throw fail("a string is not valid UTF-8") }
                    return text
                case UInt8(ascii: "\\"):
                    try escape(into: &utf8)
                case 0x00..<0x20:
                    throw fail("an unescaped control character in a string")
                default:
                    utf8.append(byte)
                }
            }
        }

        mutating func escape(into utf8: inout [UInt8]) throws(Failure) {
            guard index < bytes.count else { throw fail("unterminated escape") }
            let byte = bytes[index]
            index += 1
            let simple: [UInt8: UInt8] = [
                UInt8(ascii: "\""): 0x22, UInt8(ascii: "\\"): 0x5C, UInt8(ascii: "/"): 0x2F, UInt8(ascii: "b"): 0x08,
                UInt8(ascii: "f"): 0x0C, UInt8(ascii: "n"): 0x0A, UInt8(ascii: "r"): 0x0D, UInt8(ascii: "t"): 0x09,
            ]
            if let replacement = simple[byte] {
                utf8.append(replacement)
                return
            }
            guard byte == UInt8(ascii: "u") else { throw fail("unknown escape") }
            var scalar = try hex4()
            if (0xD800...0xDBFF).contains(scalar) {
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                    throw fail("a lone surrogate")
                }
                index += 2
                let low = try hex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw fail("a lone surrogate") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw fail("a lone surrogate")
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw fail("not a Unicode scalar") }
            utf8.append(contentsOf: unicode.utf8)
        }

        mutating func hex4() throws(Failure) -> UInt32 {
            guard index + 4 <= bytes.count else { throw fail("a \\u escape needs four hex digits") }
            var value: UInt32 = 0
            for byte in bytes[index..<(index + 4)] {
                let digit: UInt8
                switch byte {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
                default: throw fail("a \\u escape needs four hex digits")
                }
                value = value << 4 | UInt32(digit)
            }
            index += 4
            return value
        }
    }
}
