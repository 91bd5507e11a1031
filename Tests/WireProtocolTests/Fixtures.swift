import BSONCore

/// Hand-assembled frame bytes (bad lengths, invalid UTF-8) that no encoder makes.
enum RawFrames {
    static func int32(_ value: Int32) -> [UInt8] {
        withUnsafeBytes(of: value.littleEndian) { Array($0) }
    }

    static func document(_ elements: [UInt8]...) -> [UInt8] {
        let body = elements.flatMap { $0 }
        return int32(Int32(4 + body.count + 1)) + body + [0]
    }

    static func element(_ type: UInt8, key: [UInt8], _ payload: [UInt8]) -> [UInt8] {
        [type] + key + [0] + payload
    }

    static func element(_ type: UInt8, _ key: String, _ payload: [UInt8]) -> [UInt8] {
        element(type, key: Array(key.utf8), payload)
    }

    static func string(_ bytes: [UInt8]) -> [UInt8] {
        int32(Int32(bytes.count + 1)) + bytes + [0]
    }
}

enum BSONDocumentFixtures {
    /// `levels` documents nested in one another, the outermost included.
    static func deep(levels: Int) -> BSONDocument {
        var document = BSONDocument()
        for _ in 1..<levels { document = ["a": .document(document)] }
        return document
    }
}
