import CBSON

/// The rule for BSON keys and string-like values: valid UTF-8 without NUL
/// bytes.
///
/// Every frame is checked against it before anything reads the frame, so it
/// runs over every byte of every key and string a client sends. Pure-ASCII
/// text (nearly all of it: keys, products, symbols, tokens) is checked here
/// eight bytes at a time; text with any byte of 0x80 or above goes to
/// libbson's validator (`bson_utf8_validate`), which decides.
enum UTF8Text {
    static func isValidWithoutNUL(_ text: UnsafePointer<CChar>?, count: Int) -> Bool {
        guard let text else { return count == 0 }
        let raw = UnsafeRawPointer(text)
        var index = 0
        while index + 8 <= count {
            guard isASCIIWithoutNUL(raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)) else {
                return bson_utf8_validate(text, count, false)
            }
            index += 8
        }
        while index < count {
            let byte = raw.load(fromByteOffset: index, as: UInt8.self)
            guard byte != 0, byte < 0x80 else { return bson_utf8_validate(text, count, false) }
            index += 1
        }
        return true
    }

    /// True when none of the eight bytes is 0 or has its high bit set.
    static func isASCIIWithoutNUL(_ word: UInt64) -> Bool {
        let high: UInt64 = 0x8080_8080_8080_8080
        let ones: UInt64 = 0x0101_0101_0101_0101
        // With no high bit set, (byte - 1) & ~byte has its high bit set
        // exactly when the byte is 0 (borrows only start at a zero byte).
        return word & high == 0 && (word &- ones) & ~word & high == 0
    }

    /// Valid UTF-8 in which NUL bytes may appear (legal inside a BSON string,
    /// which carries its length). Each run between NULs is checked by the
    /// NUL-free rule: no multi-byte sequence contains a 0x00 byte, so the
    /// split is exact. (libbson's own `allow_null` mode is not used: it also
    /// accepts the overlong C0 80 as a NUL, which is not UTF-8.)
    static func isValidAllowingNUL(_ text: UnsafePointer<CChar>?, count: Int) -> Bool {
        guard let text else { return count == 0 }
        var start = 0
        while start <= count {
            var end = start
            while end < count && text[end] != 0 { end += 1 }
            if end > start, !isValidWithoutNUL(text + start, count: end - start) { return false }
            start = end + 1
        }
        return true
    }
}
