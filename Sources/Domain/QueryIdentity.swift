import Crypto

/// What a query *is*, as opposed to which page of it is read: the operation,
/// every filter, the range and the order (not `limit`, which may change from
/// page to page, nor the cursor). A cursor continues only the query with the
/// same identity.
///
/// The encoding is unambiguous: each part is written as a tag (its position
/// in the query's list of parts), a presence byte, and — when present — its
/// value with an explicit length (texts and lists are length-prefixed,
/// numbers have a fixed width). No value can stand for "absent" or for a
/// separator, so `{product: "NIFTY"}` and `{product: "NIFTY", symbol: "-"}`,
/// or `fields: ["a,b"]` and `fields: ["a", "b"]`, have different identities.
public struct QueryIdentity: Sendable, Equatable {
    /// The encoded parts.
    public let bytes: [UInt8]

    /// The first 16 bytes of the SHA-256 of `bytes`: what a cursor carries to
    /// tell which query it continues.
    public var digest: [UInt8] {
        Array(SHA256.hash(data: bytes).prefix(Self.digestBytes))
    }

    public static let digestBytes = 16

    init(operation: String, _ build: (inout Encoder) -> Void) {
        var encoder = Encoder()
        encoder.text(operation)
        build(&encoder)
        bytes = encoder.bytes
    }

    /// Writes the parts in order; each call is the next tag.
    struct Encoder {
        private(set) var bytes: [UInt8] = []
        private var tag: UInt8 = 0

        private mutating func header(present: Bool) {
            bytes.append(tag)
            tag &+= 1
            bytes.append(present ? 1 : 0)
        }

        private mutating func length(_ count: Int) {
            let value = UInt32(clamping: count)
            for shift in stride(from: 0, to: 32, by: 8) { bytes.append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
        }

        mutating func text(_ value: String?) {
            header(present: value != nil)
            guard let value else { return }
            length(value.utf8.count)
            bytes += value.utf8
        }

        mutating func integer(_ value: Int64?) {
            header(present: value != nil)
            guard let value else { return }
            let bits = UInt64(bitPattern: value)
            for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift))) }
        }

        /// A number compared as a number: -0.0 and 0.0 are one bound.
        mutating func number(_ value: Double?) {
            header(present: value != nil)
            guard let value else { return }
            let bits = (value == 0 ? 0.0 : value).bitPattern
            for shift in stride(from: 0, to: 64, by: 8) { bytes.append(UInt8(truncatingIfNeeded: bits >> UInt64(shift))) }
        }

        mutating func texts(_ values: [String]?) {
            header(present: values != nil)
            guard let values else { return }
            length(values.count)
            for value in values {
                length(value.utf8.count)
                bytes += value.utf8
            }
        }
    }
}

extension TickQuery {
    public var identity: QueryIdentity {
        QueryIdentity(operation: "ticks.query") { parts in
            parts.text(product)
            parts.integer(range.start)
            parts.integer(range.end)
            parts.text(order.rawValue)
        }
    }
}

extension QuoteQuery {
    public var identity: QueryIdentity {
        QueryIdentity(operation: "quotes.query") { parts in
            parts.text(symbol)
            parts.text(product)
            parts.text(expiry)
            parts.text(optionType?.rawValue)
            parts.number(strikeMin)
            parts.number(strikeMax)
            parts.integer(range.start)
            parts.integer(range.end)
            parts.text(order.rawValue)
        }
    }
}

extension ChainQuery {
    public var identity: QueryIdentity {
        QueryIdentity(operation: "chains.query") { parts in
            parts.text(product)
            parts.text(expiry)
            parts.integer(range.start)
            parts.integer(range.end)
            parts.text(order.rawValue)
            parts.texts(fields)
        }
    }
}
