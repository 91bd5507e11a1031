import Foundation
import XCTest

/// The official BSON corpus (https://github.com/mongodb/specifications,
/// `source/bson-corpus/tests`, commit in `bson-corpus/SOURCE`), loaded from the
/// test bundle. Not a test file: the corpus-driven tests live beside the tests of
/// the source file each check exercises (validation, extended JSON, building,
/// Decimal128).
struct BSONCorpus {
    struct ValidCase {
        var file: String
        var description: String
        var canonicalBSON: [UInt8]
        var canonicalExtJSON: String
        var relaxedExtJSON: String?
        var degenerateBSON: [UInt8]?
        var degenerateExtJSON: String?
        /// Set when the extended JSON cannot carry the exact value (NaN payloads).
        var lossy: Bool

        /// `file: description`, the name used in failure messages and allow-lists.
        var name: String { "\(file): \(description)" }
    }

    struct DecodeErrorCase {
        var file: String
        var description: String
        var bson: [UInt8]
        var name: String { "\(file): \(description)" }
    }

    struct ParseErrorCase {
        var file: String
        /// The BSON type the file is about; "0x13" (Decimal128) parse errors are
        /// decimal strings, all others are whole extended-JSON documents.
        var bsonType: String
        var description: String
        var string: String
        var name: String { "\(file): \(description)" }
    }

    var files: [String] = []
    var valid: [ValidCase] = []
    var decodeErrors: [DecodeErrorCase] = []
    var parseErrors: [ParseErrorCase] = []

    /// Loaded once per test process.
    static let shared: Result<BSONCorpus, any Error> = Result { try BSONCorpus.load() }

    static func load() throws -> BSONCorpus {
        guard let directory = Bundle.module.url(forResource: "bson-corpus", withExtension: nil) else {
            throw CorpusError("the bson-corpus resource directory is missing from the test bundle")
        }
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".json") }
            .sorted()
        var corpus = BSONCorpus()
        for name in names {
            let data = try Data(contentsOf: directory.appendingPathComponent(name))
            guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                throw CorpusError("\(name): not a JSON object")
            }
            corpus.files.append(name)
            let bsonType = root["bson_type"] as? String ?? ""
            for entry in root["valid"] as? [[String: Any]] ?? [] {
                let description = try field(entry, "description", name)
                corpus.valid.append(ValidCase(
                    file: name,
                    description: description,
                    canonicalBSON: try hex(try field(entry, "canonical_bson", name), "\(name): \(description)"),
                    canonicalExtJSON: try field(entry, "canonical_extjson", name),
                    relaxedExtJSON: entry["relaxed_extjson"] as? String,
                    degenerateBSON: try (entry["degenerate_bson"] as? String).map { try hex($0, "\(name): \(description)") },
                    degenerateExtJSON: entry["degenerate_extjson"] as? String,
                    lossy: entry["lossy"] as? Bool ?? false
                ))
            }
            for entry in root["decodeErrors"] as? [[String: Any]] ?? [] {
                let description = try field(entry, "description", name)
                corpus.decodeErrors.append(DecodeErrorCase(
                    file: name,
                    description: description,
                    bson: try hex(try field(entry, "bson", name), "\(name): \(description)")
                ))
            }
            for entry in root["parseErrors"] as? [[String: Any]] ?? [] {
                corpus.parseErrors.append(ParseErrorCase(
                    file: name,
                    bsonType: bsonType,
                    description: try field(entry, "description", name),
                    string: try field(entry, "string", name)
                ))
            }
        }
        return corpus
    }

    private static func field(_ entry: [String: Any], _ key: String, _ file: String) throws -> String {
        guard let value = entry[key] as? String else { throw CorpusError("\(file): an entry has no string '\(key)'") }
        return value
    }

    struct CorpusError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }
}

/// Decodes hexadecimal text (either case) into bytes.
func hex(_ text: String, _ context: String = "") throws -> [UInt8] {
    let digits = Array(text.utf8)
    guard digits.count % 2 == 0 else { throw BSONCorpus.CorpusError("\(context): odd number of hex digits") }
    func nibble(_ c: UInt8) throws -> UInt8 {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return c - UInt8(ascii: "A") + 10
        default: throw BSONCorpus.CorpusError("\(context): not a hex digit: \(c)")
        }
    }
    var out: [UInt8] = []
    out.reserveCapacity(digits.count / 2)
    var index = 0
    while index < digits.count {
        out.append(try nibble(digits[index]) << 4 | nibble(digits[index + 1]))
        index += 2
    }
    return out
}

func hexString(_ bytes: [UInt8]) -> String {
    bytes.map { String(format: "%02X", $0) }.joined()
}

/// The corpus, or a test failure explaining why it could not be read.
func loadCorpus(file: StaticString = #filePath, line: UInt = #line) throws -> BSONCorpus {
    let corpus = try BSONCorpus.shared.get()
    // Guard against an empty or partial copy: the corpus has 30 files and
    // hundreds of cases; a loader that found nothing would make every check vacuous.
    XCTAssertGreaterThanOrEqual(corpus.files.count, 30, "bson-corpus files", file: file, line: line)
    XCTAssertGreaterThan(corpus.valid.count, 500, "valid corpus cases", file: file, line: line)
    XCTAssertGreaterThan(corpus.decodeErrors.count, 50, "decodeErrors corpus cases", file: file, line: line)
    return corpus
}

/// Semantic JSON equality, as the corpus asks: whitespace and escaping do not
/// matter; numbers compare by value; `true` is not `1`. Object keys compare as
/// sets here, because extended JSON wrappers (`$code`/`$scope`, `$binary`'s
/// `base64`/`subType`, ...) may come in any order; the order of a document's own
/// keys is checked separately, by parsing the produced text back to bytes.
func jsonSemanticallyEqual(_ lhs: String, _ rhs: String) throws -> Bool {
    let options: JSONSerialization.ReadingOptions = [.fragmentsAllowed]
    let a = try JSONSerialization.jsonObject(with: Data(lhs.utf8), options: options)
    let b = try JSONSerialization.jsonObject(with: Data(rhs.utf8), options: options)
    return jsonEqual(a, b)
}

private func jsonEqual(_ a: Any, _ b: Any) -> Bool {
    switch (a, b) {
    case let (a as [String: Any], b as [String: Any]):
        guard Set(a.keys) == Set(b.keys) else { return false }
        // `{"$numberDouble": text}` holds a number spelled as text, and one double
        // has several spellings: libbson writes 1.2345678921232E+18 as
        // "1234567892123200000.0". Compare the values ("NaN" equals "NaN").
        if a.count == 1, let x = a["$numberDouble"] as? String, let y = b["$numberDouble"] as? String,
           let dx = Double(x), let dy = Double(y) {
            return dx == dy && dx.sign == dy.sign || (dx.isNaN && dy.isNaN)
        }
        return a.allSatisfy { key, value in b[key].map { jsonEqual(value, $0) } ?? false }
    case let (a as [Any], b as [Any]):
        return a.count == b.count && zip(a, b).allSatisfy(jsonEqual)
    case let (a as String, b as String):
        return a == b
    case (is NSNull, is NSNull):
        return true
    case let (a as NSNumber, b as NSNumber):
        // Foundation reports JSON booleans with objCType "c"; a number never has it.
        let aIsBool = String(cString: a.objCType) == "c"
        let bIsBool = String(cString: b.objCType) == "c"
        return aIsBool == bIsBool && a == b
    default:
        return false
    }
}
