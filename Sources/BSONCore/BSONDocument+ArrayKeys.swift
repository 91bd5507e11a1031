import CBSON

/// An array whose keys are not `"0"`, `"1"`, … in order: where it is and
/// which key broke the sequence.
///
/// The BSON specification writes an array as a document whose keys are the
/// indexes in order, but a reader (this one included: `BSONValue.array` keeps
/// the values only) takes the elements in the order they come, whatever their
/// keys. An array with the keys `"0"`, `"0"` is read as two items by one
/// program and may be read as one by another, so the project refuses such
/// arrays in what clients send instead of guessing. They are valid BSON (the
/// specification's corpus lists arrays with other keys as valid), so this is
/// a rule of the request, never a framing error.
public struct MisnumberedArray: Sendable, Equatable, CustomStringConvertible {
    /// The array's path: keys and, inside arrays, indexes joined by `.`.
    public let path: String
    /// The 0-based position of the first element with the wrong key.
    public let position: Int
    /// The key found there.
    public let key: String

    public init(path: String, position: Int, key: String) {
        self.path = path
        self.position = position
        self.key = key
    }

    /// Text for an error's `reason`.
    public var reason: String {
        "array keys must be \"0\", \"1\", … in order: element \(position) has the key \"\(key)\""
    }

    public var description: String { "\(path): \(reason)" }
}

extension BSONDocument {
    /// The first array (depth first, in document order) whose keys are not
    /// `"0"`, `"1"`, … in order, or nil. With `intoArrayElements` false, the
    /// keys of every array are checked but documents and arrays that are
    /// elements of an array are not entered (their owner checks them, e.g. the
    /// records of a batch, each with its own index).
    ///
    /// Walks the bytes with libbson's iterator, decoding nothing and making no
    /// string unless it reports a problem.
    public func firstMisnumberedArray(intoArrayElements: Bool = true) -> MisnumberedArray? {
        withIterator { iter in
            var path: [String] = []
            return Self.firstMisnumbered(iter, path: &path, isArray: false, intoArrayElements: intoArrayElements)
        }
    }

    private static func firstMisnumbered(_ iter: borrowing LibBSONIterator, path: inout [String], isArray: Bool, intoArrayElements: Bool) -> MisnumberedArray? {
        var position = 0
        while iter.next() {
            if isArray, !keyIsIndex(iter, position) {
                return MisnumberedArray(path: path.joined(separator: "."), position: position, key: iter.key)
            }
            let type = iter.type
            if type == BSON_TYPE_DOCUMENT || type == BSON_TYPE_ARRAY, !isArray || intoArrayElements {
                let found: MisnumberedArray? = LibBSONIterator.withNew { child in
                    // A document that passed validation always recurses; nothing to check otherwise.
                    guard iter.recurse(into: child) else { return nil }
                    path.append(iter.key)
                    defer { path.removeLast() }
                    return firstMisnumbered(child, path: &path, isArray: type == BSON_TYPE_ARRAY, intoArrayElements: intoArrayElements)
                }
                if let found { return found }
            }
            position += 1
        }
        return nil
    }

    /// Whether the current key is `index` written in decimal, without a
    /// leading zero (the only spelling the BSON specification gives).
    private static func keyIsIndex(_ iter: borrowing LibBSONIterator, _ index: Int) -> Bool {
        guard let key = bson_iter_key(iter.pointer) else { return false }
        let length = Int(bson_iter_key_len(iter.pointer))
        var digits = 1
        var rest = index / 10
        while rest > 0 {
            digits += 1
            rest /= 10
        }
        guard length == digits else { return false }
        var value = index
        for offset in stride(from: digits - 1, through: 0, by: -1) {
            guard UInt8(bitPattern: key[offset]) == UInt8(ascii: "0") + UInt8(value % 10) else { return false }
            value /= 10
        }
        return true
    }
}
