import BSONCore
import Foundation
import TestSupport
import XCTest

/// `proto-spec/vectors`: the manifest and its files, and the comparison the
/// vectors' README defines (same keys in order, same types, same values,
/// except for ignored paths, which must only be present with the same type).
enum VectorFiles {
    struct Manifest: Decodable {
        var version: Int
        var cases: [Case]
    }

    struct Case: Decodable {
        var name: String
        var request: String?
        var stream: String?
        var reply: String
        var ignore: [String]
        var closes: Bool
    }

    static var directory: URL { BuildProducts.repositoryRoot.appendingPathComponent("proto-spec/vectors") }

    static func manifest() throws -> Manifest {
        try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: directory.appendingPathComponent("manifest.json")))
    }

    static func document(_ base: String) throws -> BSONDocument {
        try BSONDocument(validating: [UInt8](Data(contentsOf: directory.appendingPathComponent(base + ".bson"))))
    }

    static func stream(_ base: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(base + ".bin")))
    }

    /// The differences between an expected and an actual reply; empty when they match.
    static func differences(expected: BSONDocument, actual: BSONDocument, ignore: Set<String>, path: String = "") -> [String] {
        let e = expected.elements
        let a = actual.elements
        guard e.map(\.key) == a.map(\.key) else {
            return ["\(path.isEmpty ? "top level" : path): keys \(a.map(\.key)) instead of \(e.map(\.key))"]
        }
        return zip(e, a).flatMap { pair in
            differences(expected: pair.0.value, actual: pair.1.value, ignore: ignore, path: path.isEmpty ? pair.0.key : path + "." + pair.0.key)
        }
    }

    static func differences(expected: BSONValue, actual: BSONValue, ignore: Set<String>, path: String) -> [String] {
        if ignore.contains(path) {
            return expected.typeName == actual.typeName ? [] : ["\(path): type \(actual.typeName) instead of \(expected.typeName)"]
        }
        switch (expected, actual) {
        case (.document(let e), .document(let a)):
            return differences(expected: e, actual: a, ignore: ignore, path: path)
        case (.array(let e), .array(let a)):
            guard e.count == a.count else { return ["\(path): \(a.count) items instead of \(e.count)"] }
            return zip(e, a).enumerated().flatMap { index, pair in
                differences(expected: pair.0, actual: pair.1, ignore: ignore, path: "\(path).\(index)")
            }
        default:
            return expected == actual ? [] : ["\(path): \(actual) instead of \(expected)"]
        }
    }
}
