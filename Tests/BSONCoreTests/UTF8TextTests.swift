@testable import BSONCore
import CBSON
import TestSupport
import XCTest

/// The key and string rule (valid UTF-8, no NUL): the ASCII fast path must
/// answer exactly as libbson's validator does, for every position of a bad
/// byte and every length around the 8-byte word boundary.
final class UTF8TextTests: XCTestCase {
    private func check(_ bytes: [UInt8], file: StaticString = #filePath, line: UInt = #line) -> Bool {
        bytes.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: CChar.self) { chars in
                let fast = UTF8Text.isValidWithoutNUL(chars.baseAddress, count: chars.count)
                let reference = chars.baseAddress.map { bson_utf8_validate($0, chars.count, false) } ?? true
                XCTAssertEqual(fast, reference, "disagrees with bson_utf8_validate on \(bytes)", file: file, line: line)
                return fast
            }
        }
    }

    func testASCIIOfEveryLengthAroundTheWordIsValid() {
        for length in 0...40 {
            XCTAssertTrue(check(Array(repeating: UInt8(ascii: "a"), count: length)), "length \(length)")
        }
        XCTAssertTrue(check(Array((1...127).map { UInt8($0) })))
    }

    func testANULAnywhereIsRefused() {
        for length in 1...24 {
            for position in 0..<length {
                var bytes = Array(repeating: UInt8(ascii: "x"), count: length)
                bytes[position] = 0
                XCTAssertFalse(check(bytes), "NUL at \(position) of \(length)")
            }
        }
    }

    func testNULsMayBeAllowedButOverlongNULsNever() {
        func allowing(_ bytes: [UInt8]) -> Bool {
            bytes.withUnsafeBufferPointer { buffer in
                buffer.withMemoryRebound(to: CChar.self) { UTF8Text.isValidAllowingNUL($0.baseAddress, count: $0.count) }
            }
        }
        XCTAssertTrue(allowing(Array("ab\0bab\0babab".utf8)))
        XCTAssertTrue(allowing([0, 0]))
        XCTAssertTrue(allowing(Array("é\0☆".utf8)))
        XCTAssertTrue(allowing([]))
        XCTAssertFalse(allowing([0x61, 0xC0, 0x80]), "C0 80 is an overlong NUL, not UTF-8 (libbson's allow_null mode takes it)")
        XCTAssertFalse(allowing([0x61, 0, 0xFF]))
        XCTAssertFalse(allowing([0xE2, 0x98, 0, 0x86]), "a NUL cannot sit inside a sequence")
    }

    func testNonASCIIGoesToLibBSONWhereverItIs() {
        let valid: [UInt8] = Array("é".utf8)
        for length in 0...20 {
            for position in 0...length {
                var good = Array(repeating: UInt8(ascii: "x"), count: length)
                good.insert(contentsOf: valid, at: position)
                XCTAssertTrue(check(good))
                var bad = Array(repeating: UInt8(ascii: "x"), count: length)
                bad.insert(0xFF, at: position)
                XCTAssertFalse(check(bad))
                var truncated = Array(repeating: UInt8(ascii: "x"), count: length)
                truncated.insert(0xC3, at: position)
                XCTAssertFalse(check(truncated))
            }
        }
    }

    func testRandomBytesAgreeWithLibBSON() {
        var random = SeededRandom(seed: 0x2545_F491_4F6C_DD1D)
        func next() -> UInt64 { random.next() }
        for _ in 0..<20_000 {
            let length = Int(next() % 24)
            // Mostly ASCII, sometimes a NUL or a high byte, as hostile frames have.
            let bytes = (0..<length).map { _ -> UInt8 in
                let roll = next() % 64
                return roll == 0 ? 0 : roll == 1 ? UInt8(truncatingIfNeeded: next() | 0x80) : UInt8(0x20 + next() % 0x5F)
            }
            _ = check(bytes)
        }
    }

    func testTheWordTestMatchesTheByteRule() {
        for byte in 0...255 {
            for position in 0..<8 {
                var bytes = Array(repeating: UInt8(ascii: "z"), count: 8)
                bytes[position] = UInt8(byte)
                let word = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                XCTAssertEqual(UTF8Text.isASCIIWithoutNUL(word), byte != 0 && byte < 0x80, "byte \(byte) at \(position)")
            }
        }
    }
}
