import CBSON

extension BSONDocument {
    /// MongoDB Extended JSON v2, canonical mode: every type explicit
    /// (`{"$numberInt": "1"}`); what the protocol's test vectors are written in.
    public var canonicalExtendedJSON: String {
        json(bson_as_canonical_extended_json)
    }

    /// MongoDB Extended JSON v2, relaxed mode: numbers as JSON numbers and dates
    /// as ISO-8601 (`{"$date": "2025-01-30T09:15:00Z"}`); what people read.
    /// Doubles are in shortest round-trip form (`21526.35`; see
    /// `ShortestDoubleText`).
    public var relaxedExtendedJSON: String {
        ShortestDoubleText.rewritingDoubles(inJSON: json(bson_as_relaxed_extended_json))
    }

    /// Parses extended JSON (canonical or relaxed, libbson's parser): exactly one
    /// document, optionally surrounded by whitespace.
    public init(extendedJSON text: String) throws(BSONError) {
        var error = bson_error_t()
        let utf8 = Array(text.utf8)
        guard !utf8.isEmpty, let reader = bson_json_data_reader_new(false, 0x4000) else {
            throw .invalidExtendedJSON("Empty JSON string")
        }
        defer { bson_json_reader_destroy(reader) }
        let parsed: OpaquePointer = bson_new()
        defer { bson_destroy(parsed) }
        let rest: OpaquePointer = bson_new()
        defer { bson_destroy(rest) }
        // `bson_new_from_json` reads the first document and ignores whatever
        // follows, so `{"a": 1} {"b": 2}` would silently lose `b`: read twice and
        // require the second read to find the end of the text.
        let (first, second): (Int32, Int32) = utf8.withUnsafeBufferPointer { buffer in
            // The reader keeps the pointer without copying: read inside this scope.
            bson_json_data_reader_ingest(reader, buffer.baseAddress, buffer.count)
            let first = bson_json_reader_read(reader, parsed, &error)
            guard first > 0 else { return (first, 0) }
            return (first, bson_json_reader_read(reader, rest, &error))
        }
        guard first > 0 else {
            throw .invalidExtendedJSON(first == 0 ? "Empty JSON string" : Self.message(of: &error))
        }
        guard second == 0 else {
            throw .invalidExtendedJSON(second > 0 ? "more than one JSON document" : Self.message(of: &error))
        }
        guard let data = bson_get_data(parsed) else {
            throw .invalidExtendedJSON("libbson returned no document")
        }
        let length = Int(UInt32(data[0]) | UInt32(data[1]) << 8 | UInt32(data[2]) << 16 | UInt32(data[3]) << 24)
        let bytes = Array(UnsafeBufferPointer(start: data, count: length))
        // libbson's JSON parser lets through what frames may not carry (a NUL
        // from "\u0000", for one); hold parsed documents to the same rules.
        // (Its own nesting limit, 99 levels, is below `defaultMaxDepth`.)
        do {
            try Self.validate(bytes, maxDepth: Self.defaultMaxDepth)
        } catch {
            throw .invalidExtendedJSON(error.description)
        }
        self.init(trustedBytes: bytes)
    }

    private func json(_ convert: (OpaquePointer?, UnsafeMutablePointer<Int>?) -> UnsafeMutablePointer<CChar>?) -> String {
        BSONBuilder.withTemporary(bytes) { handle -> String in
            var length = 0
            guard let text = convert(handle, &length) else { return "{}" }
            defer { bson_free(text) }
            return text.withMemoryRebound(to: UInt8.self, capacity: length) {
                String(decoding: UnsafeBufferPointer(start: $0, count: length), as: UTF8.self)
            }
        } ?? "{}"
    }
}
