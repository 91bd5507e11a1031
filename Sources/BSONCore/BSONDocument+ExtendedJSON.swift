import CBSON

extension BSONDocument {
    /// MongoDB Extended JSON v2, canonical mode: every type explicit
    /// (`{"$numberInt": "1"}`); what the protocol's test vectors are written in.
    public var canonicalExtendedJSON: String {
        json(bson_as_canonical_extended_json)
    }

    /// MongoDB Extended JSON v2, relaxed mode: numbers as JSON numbers and dates
    /// as ISO-8601 (`{"$date": "2025-01-30T09:15:00Z"}`); what people read.
    public var relaxedExtendedJSON: String {
        json(bson_as_relaxed_extended_json)
    }

    /// Parses extended JSON (canonical or relaxed, libbson's parser).
    public init(extendedJSON text: String) throws(BSONError) {
        var error = bson_error_t()
        let utf8 = Array(text.utf8)
        let parsed: OpaquePointer? = utf8.withUnsafeBufferPointer { buffer in
            buffer.withMemoryRebound(to: UInt8.self) { bytes in
                bson_new_from_json(bytes.baseAddress ?? UnsafePointer(bitPattern: 1), buffer.count, &error)
            }
        }
        guard let parsed else {
            throw .invalidExtendedJSON(Self.message(of: &error))
        }
        defer { bson_destroy(parsed) }
        guard let data = bson_get_data(parsed) else {
            throw .invalidExtendedJSON("libbson returned no document")
        }
        let length = Int(UInt32(data[0]) | UInt32(data[1]) << 8 | UInt32(data[2]) << 16 | UInt32(data[3]) << 24)
        let bytes = Array(UnsafeBufferPointer(start: data, count: length))
        // libbson's JSON parser accepts some strings that are not valid UTF-8 and
        // nests without limit; hold parsed documents to the same rules as frames.
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
