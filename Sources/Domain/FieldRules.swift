import BSONCore

/// The validation rules every record and query shares, in one place so that
/// both stores and every operation apply exactly the same ones.
public enum FieldRules {
    /// Product and symbol names: 1 to 64 characters of `[A-Za-z0-9._-]`.
    public static func name(_ value: BSONValue?, field: String) throws(FieldError) -> String {
        guard let value else { throw FieldError(field, "required") }
        guard case .string(let s) = value else { throw FieldError(field, "must be a string, got \(value.typeName)") }
        guard isName(s) else { throw FieldError(field, "must be 1 to 64 characters of A-Z a-z 0-9 . _ -") }
        return s
    }

    public static func isName(_ s: String) -> Bool {
        let utf8 = s.utf8
        guard (1...64).contains(utf8.count) else { return false }
        return utf8.allSatisfy { c in
            (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || c == 0x2E || c == 0x5F || c == 0x2D
        }
    }

    /// A price, strike or spot price: a finite number greater than zero
    /// (double, int32 or int64).
    public static func positiveNumber(_ value: BSONValue?, field: String) throws(FieldError) -> Double {
        guard let value else { throw FieldError(field, "required") }
        guard let number = value.numericValue else { throw FieldError(field, "must be a number, got \(value.typeName)") }
        guard number.isFinite else { throw FieldError(field, "must be finite") }
        guard number > 0 else { throw FieldError(field, "must be greater than 0") }
        return number
    }

    /// A record's time: a BSON UTC datetime and nothing else, within
    /// `RecordTime.range` (years 1 to 9999).
    public static func datetime(_ value: BSONValue?, field: String) throws(FieldError) -> Int64 {
        guard let value else { throw FieldError(field, "required") }
        guard case .datetime(let ms) = value else { throw FieldError(field, "must be a BSON datetime, got \(value.typeName)") }
        guard RecordTime.contains(ms) else {
            throw FieldError(field, "must be from \(RecordTime.rangeText) (years 1 to 9999), got \(ms) ms since the epoch")
        }
        return ms
    }

    /// An expiry: a real calendar date written `YYYY-MM-DD`.
    public static func expiry(_ value: BSONValue?, field: String) throws(FieldError) -> String {
        guard let value else { throw FieldError(field, "required") }
        guard case .string(let s) = value else { throw FieldError(field, "must be a string YYYY-MM-DD, got \(value.typeName)") }
        guard isCalendarDate(s) else { throw FieldError(field, "must be a real calendar date YYYY-MM-DD") }
        return s
    }

    public static func isCalendarDate(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard b.count == 10, b[4] == 0x2D, b[7] == 0x2D else { return false }
        func digits(_ range: Range<Int>) -> Int? {
            var value = 0
            for i in range {
                guard b[i] >= 0x30, b[i] <= 0x39 else { return nil }
                value = value * 10 + Int(b[i] - 0x30)
            }
            return value
        }
        guard let year = digits(0..<4), let month = digits(5..<7), let day = digits(8..<10) else { return false }
        guard year >= 1, (1...12).contains(month), day >= 1 else { return false }
        let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return day <= days
    }

    /// Stored documents may not have keys that a document database would read
    /// as an operator or a path: none starts with `$`, contains `.`, is empty,
    /// or contains NUL — at any depth. Nor may a key repeat within one
    /// document (readers would disagree on which value counts). `_id` is
    /// refused at the top level: the store assigns it. Then every array, at
    /// any depth, must have the keys "0", "1", … in order (`MisnumberedArray`).
    public static func storableKeys(_ document: BSONDocument) throws(FieldError) {
        let elements = document.elements
        var seen: Set<String>?
        for (index, (key, value)) in elements.enumerated() {
            if key == "_id" { throw FieldError(key, "is assigned by the store and may not be sent") }
            try checkKey(key, path: key)
            if repeats(elements, at: index, seen: &seen) { throw FieldError(key, "given more than once") }
            try storableValue(value, path: key)
        }
        if let misnumbered = document.firstMisnumberedArray() {
            throw FieldError(misnumbered.path, misnumbered.reason)
        }
    }

    /// Whether the key at `index` repeats an earlier key of `elements`. A
    /// record has a handful of keys, compared in place without allocating;
    /// from `inPlaceLimit` keys on, a set (built once, in `seen`) keeps a
    /// document of thousands of keys linear.
    public static func repeats(_ elements: [(key: String, value: BSONValue)], at index: Int, seen: inout Set<String>?) -> Bool {
        let key = elements[index].key
        if index < inPlaceLimit {
            return elements[..<index].contains { $0.key == key }
        }
        var set = seen ?? Set(elements[..<index].map(\.key))
        let repeated = !set.insert(key).inserted
        seen = set
        return repeated
    }

    static let inPlaceLimit = 32

    private static func storableValue(_ value: BSONValue, path: String) throws(FieldError) {
        switch value {
        case .document(let nested):
            let elements = nested.elements
            var seen: Set<String>?
            for (index, (key, inner)) in elements.enumerated() {
                let childPath = path + "." + key
                try checkKey(key, path: childPath)
                if repeats(elements, at: index, seen: &seen) { throw FieldError(childPath, "given more than once") }
                try storableValue(inner, path: childPath)
            }
        case .array(let values):
            for (index, inner) in values.enumerated() {
                try storableValue(inner, path: path + "." + String(index))
            }
        default:
            return
        }
    }

    private static func checkKey(_ key: String, path: String) throws(FieldError) {
        if let problem = keyProblem(key) { throw FieldError(path, problem) }
    }

    /// Why `key` may not be a key of a stored document or of `args` (a
    /// document store could read it as an operator or a path), or nil. Checked
    /// on the UTF-8 bytes: it runs for every key of every request.
    public static func keyProblem(_ key: String) -> String? {
        let bytes = key.utf8
        guard let first = bytes.first else { return "empty key" }
        if first == UInt8(ascii: "$") { return "keys may not start with '$'" }
        if bytes.contains(UInt8(ascii: ".")) { return "keys may not contain '.'" }
        return nil
    }
}
