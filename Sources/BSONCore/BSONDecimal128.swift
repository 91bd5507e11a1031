import CBSON

/// An IEEE 754-2008 128-bit decimal, kept as libbson's two 64-bit halves so it
/// round-trips exactly; printed and parsed with libbson's own conversions.
public struct BSONDecimal128: Sendable, Hashable, CustomStringConvertible {
    public let low: UInt64
    public let high: UInt64

    public init(low: UInt64, high: UInt64) {
        self.low = low
        self.high = high
    }

    /// Parses a decimal string ("1.5", "-0", "NaN", "1E+3"); `nil` if libbson rejects it.
    public init?(_ string: String) {
        var dec = bson_decimal128_t()
        guard bson_decimal128_from_string(string, &dec) else { return nil }
        self.init(low: dec.low, high: dec.high)
    }

    public var description: String {
        var dec = bson_decimal128_t(low: low, high: high)
        var buffer = [CChar](repeating: 0, count: Int(BSON_DECIMAL128_STRING))
        bson_decimal128_to_string(&dec, &buffer)
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
