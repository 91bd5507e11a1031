import Foundation

/// An email address as deltastore stores and compares it, so that one
/// address is one account however it was typed.
///
/// The normal form: surrounding white space trimmed, then Unicode canonical
/// caseless matching written in NFC — `NFC(casefold(NFD(address)))` with
/// full case folding (Foundation's `folding(options: .caseInsensitive)`).
/// `" Ana@Example.COM "` and `"ana@example.com"` are one account; so are a
/// composed `é` (U+00E9) and `e` + U+0301, and `Straße` and `strasse`. The
/// users table has a unique index on this form.
///
/// The rules (PROTOCOL.md §14.3.1): at most 254 bytes of UTF-8 after
/// normalization, exactly one `@`, a non-empty local part and domain, and no
/// white space, control (Cc), format (Cf: zero-width characters, bidi
/// controls, soft hyphen) or unassigned (Cn, in the Unicode version of the
/// Swift runtime) character anywhere: such characters are invisible or
/// reorder text, so they make look-alike accounts and ambiguous logs.
/// Nothing else is checked; deliverability is not deltastore's business.
public struct EmailAddress: Sendable, Hashable, CustomStringConvertible {
    /// The normalized address.
    public let value: String

    public static let maximumBytes = 254

    /// Normalizes and validates `raw`; errors name the field `field`.
    public init(normalizing raw: String, field: String = "email") throws(FieldError) {
        let normalized = Self.normalize(raw)
        guard !normalized.isEmpty else { throw FieldError(field, "required (an email address)") }
        if let refused = Self.firstRefusedScalar(in: normalized) {
            throw FieldError(field, "must not contain white space, control, format (zero-width, bidirectional) or unassigned characters (found \(Self.codePoint(refused)))")
        }
        guard normalized.utf8.count <= Self.maximumBytes else {
            throw FieldError(field, "longer than \(Self.maximumBytes) bytes")
        }
        let parts = normalized.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw FieldError(field, "must contain exactly one '@'") }
        guard !parts[0].isEmpty else { throw FieldError(field, "the part before '@' is empty") }
        guard !parts[1].isEmpty else { throw FieldError(field, "the part after '@' is empty") }
        value = normalized
    }

    /// The normal form described above, without validation.
    public static func normalize(_ raw: String) -> String {
        let scalars = raw.unicodeScalars
        var start = scalars.startIndex
        var end = scalars.endIndex
        while start < end, scalars[start].properties.isWhitespace { start = scalars.index(after: start) }
        while end > start, scalars[scalars.index(before: end)].properties.isWhitespace { end = scalars.index(before: end) }
        let trimmed = String(scalars[start..<end])
        // ASCII is its own NFC; folding it is lower-casing.
        if trimmed.utf8.allSatisfy({ $0 < 0x80 }) { return trimmed.lowercased() }
        return trimmed.decomposedStringWithCanonicalMapping
            .folding(options: [.caseInsensitive], locale: nil)
            .precomposedStringWithCanonicalMapping
    }

    /// The first character an address may not contain, if any.
    public static func firstRefusedScalar(in text: String) -> Unicode.Scalar? {
        text.unicodeScalars.first { scalar in
            if scalar.properties.isWhitespace { return true }
            switch scalar.properties.generalCategory {
            case .control, .format, .unassigned, .lineSeparator, .paragraphSeparator, .surrogate: return true
            default: return false
            }
        }
    }

    static func codePoint(_ scalar: Unicode.Scalar) -> String {
        let hex = String(scalar.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
    }

    public var description: String { value }
}
