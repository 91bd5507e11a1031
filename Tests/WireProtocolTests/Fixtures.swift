import BSONCore

enum BSONDocumentFixtures {
    /// `levels` documents nested in one another, the outermost included.
    static func deep(levels: Int) -> BSONDocument {
        var document = BSONDocument()
        for _ in 1..<levels { document = ["a": .document(document)] }
        return document
    }
}
