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
}
