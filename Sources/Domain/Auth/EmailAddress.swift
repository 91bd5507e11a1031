/// An email address as deltastore stores and compares it: trimmed of
/// surrounding whitespace and lower-cased, so that `" Ana@Example.COM "` and
/// `"ana@example.com"` are one account (the users table has a unique index on
/// this form).
///
/// The rules (fixed by the protocol, §2 of the design): at most 254 bytes of
/// UTF-8 after normalization, exactly one `@`, a non-empty local part and a
/// non-empty domain. Whitespace and control characters inside the address are
/// refused too: no real address has them, and they would make logs ambiguous.
/// Nothing else is checked; deliverability is not deltastore's business.
public struct EmailAddress: Sendable, Hashable, CustomStringConvertible {
    /// The normalized address.
    public let value: String

    public static let maximumBytes = 254

    /// Normalizes and validates `raw`; errors name the field `field`.
    public init(normalizing raw: String, field: String = "email") throws(FieldError) {
        let normalized = Self.normalize(raw)
        guard !normalized.isEmpty else { throw FieldError(field, "required (an email address)") }
        guard normalized.utf8.count <= Self.maximumBytes else {
            throw FieldError(field, "longer than \(Self.maximumBytes) bytes")
        }
        let parts = normalized.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw FieldError(field, "must contain exactly one '@'") }
        guard !parts[0].isEmpty else { throw FieldError(field, "the part before '@' is empty") }
        guard !parts[1].isEmpty else { throw FieldError(field, "the part after '@' is empty") }
        guard !normalized.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F }) else {
            throw FieldError(field, "must not contain spaces or control characters")
        }
        value = normalized
    }

    /// Trimmed and lower-cased, without validation.
    public static func normalize(_ raw: String) -> String {
        let scalars = raw.unicodeScalars
        var start = scalars.startIndex
        var end = scalars.endIndex
        while start < end, scalars[start].properties.isWhitespace { start = scalars.index(after: start) }
        while end > start, scalars[scalars.index(before: end)].properties.isWhitespace { end = scalars.index(before: end) }
        return String(scalars[start..<end]).lowercased()
    }

    public var description: String { value }
}
