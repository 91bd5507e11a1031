import BSONCore

/// The comparison rule of `proto-spec/vectors`: key by key, in order; a path
/// listed in `ignore` must be present with the same BSON type, its value is
/// not compared. Shared by the server's and the Swift client's vector tests.
public enum VectorComparison {
    /// The differences between an expected and an actual reply; empty when they match.
    public static func differences(expected: BSONDocument, actual: BSONDocument, ignore: Set<String>, path: String = "") -> [String] {
        let e = expected.elements
        let a = actual.elements
        guard e.map(\.key) == a.map(\.key) else {
            return ["\(path.isEmpty ? "top level" : path): keys \(a.map(\.key)) instead of \(e.map(\.key))"]
        }
        return zip(e, a).flatMap { pair in
            differences(expected: pair.0.value, actual: pair.1.value, ignore: ignore, path: path.isEmpty ? pair.0.key : path + "." + pair.0.key)
        }
    }

    public static func differences(expected: BSONValue, actual: BSONValue, ignore: Set<String>, path: String) -> [String] {
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
            return expected == actual ? [] : ["\(path): \(BSONDocument([("v", actual)])) instead of \(BSONDocument([("v", expected)]))"]
        }
    }
}
