/// Doubles as people expect to read them: the shortest text that parses back
/// to the same value (`21526.35`, not libbson's 20 significant digits,
/// `21526.349999999998545`).
///
/// libbson prints relaxed extended JSON with `%.20g`, which is exact but
/// shows the binary representation's noise. Swift's `description` of a
/// `Double` is the shortest round-trip form, so the JSON libbson writes is
/// rewritten number by number: a number token with a fraction or an exponent
/// is a double (relaxed extended JSON writes `Int32`/`Int64` without either),
/// and parsing its 20 digits gives back the double libbson had exactly.
public enum ShortestDoubleText {
    /// The JSON text with every double's digits in shortest round-trip form;
    /// strings, integers and everything else are left byte for byte.
    public static func rewritingDoubles(inJSON json: String) -> String {
        var output: [UInt8] = []
        output.reserveCapacity(json.utf8.count)
        var token: [UInt8] = []
        var inString = false
        var escaped = false
        func flushToken() {
            guard !token.isEmpty else { return }
            defer { token.removeAll(keepingCapacity: true) }
            let isDouble = token.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
            if isDouble, let value = Double(String(decoding: token, as: UTF8.self)), value.isFinite {
                output.append(contentsOf: value.description.utf8)
            } else {
                output.append(contentsOf: token)
            }
        }
        for byte in json.utf8 {
            if inString {
                output.append(byte)
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "+"), UInt8(ascii: "."),
                UInt8(ascii: "e"), UInt8(ascii: "E"):
                // Outside strings these bytes only occur in numbers (and in the
                // literals true/false, whose `e` follows a letter: see below).
                if token.isEmpty, byte == UInt8(ascii: "e") || byte == UInt8(ascii: "E") || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".") {
                    output.append(byte)
                } else {
                    token.append(byte)
                }
            default:
                flushToken()
                if byte == UInt8(ascii: "\"") { inString = true }
                output.append(byte)
            }
        }
        flushToken()
        return String(decoding: output, as: UTF8.self)
    }

    /// A number for a table cell: integral values without a fraction
    /// (`21500`), others in shortest round-trip form (`0.9623`).
    public static func cell(_ value: Double) -> String {
        if value.isFinite, value == value.rounded(), abs(value) < 1e15 {
            return String(Int64(value))
        }
        return value.description
    }
}
