import BSONCore
import Foundation

/// `proto-spec/vectors`: the manifest and its files, for the server's and
/// the Swift client's vector tests (the comparison is `VectorComparison`).
public enum VectorFiles {
    public struct Manifest: Decodable {
        public var version: Int
        public var cases: [Case]
    }

    /// One case of the manifest: a request document or a raw byte stream,
    /// the reply, the paths whose values may differ, and whether the server
    /// closes the connection after replying.
    public struct Case: Decodable {
        public var name: String
        public var request: String?
        public var stream: String?
        public var reply: String
        public var ignore: [String]
        public var closes: Bool
    }

    public static var directory: URL { BuildProducts.repositoryRoot.appendingPathComponent("proto-spec/vectors") }

    public static func manifest() throws -> Manifest {
        try JSONDecoder().decode(Manifest.self, from: Data(contentsOf: directory.appendingPathComponent("manifest.json")))
    }

    /// A document vector, checked by the BSON specification's rules (some
    /// requests hold a NUL inside a string, which is legal BSON).
    public static func document(_ base: String) throws -> BSONDocument {
        try BSONDocument.validatingSpecification([UInt8](Data(contentsOf: directory.appendingPathComponent(base + ".bson")))).document
    }

    public static func stream(_ base: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: directory.appendingPathComponent(base + ".bin")))
    }
}
