import CBSON

/// A libbson iterator in memory aligned the way libbson declares it (128 bytes).
///
/// Swift imports `bson_iter_t` with 8-byte alignment and passes pointers to it
/// as `OpaquePointer`, while libbson is compiled assuming 128-byte alignment
/// (it may use aligned vector stores on it). So an iterator lives in stack
/// memory aligned that way for the duration of `withNew`'s closure: reading
/// or validating a document allocates nothing on the heap (every frame the
/// server receives is walked this way).
struct LibBSONIterator: ~Copyable {
    private let storage: UnsafeMutableRawPointer

    /// Room for the C struct at its declared alignment (its C size is 128).
    private static let byteCount = 256
    private static let alignment = 128

    private init(storage: UnsafeMutableRawPointer) {
        self.storage = storage
    }

    /// Runs `body` with a zeroed iterator on the stack. The standard library
    /// places temporary allocations on the stack only up to the platform's
    /// allocation alignment (16 bytes), so the 128-byte alignment is made by
    /// hand inside a slightly larger block (well under the size it always
    /// places on the stack).
    static func withNew<R>(_ body: (borrowing LibBSONIterator) -> R) -> R {
        withUnsafeTemporaryAllocation(byteCount: byteCount + alignment, alignment: 16) { raw in
            // Never nil: the allocation is not empty.
            guard let base = raw.baseAddress else { preconditionFailure("empty temporary allocation") }
            let aligned = base.alignedUp(toMultipleOf: alignment)
            aligned.initializeMemory(as: UInt8.self, repeating: 0, count: byteCount)
            return body(LibBSONIterator(storage: aligned))
        }
    }

    /// The pointer libbson's functions take.
    var pointer: OpaquePointer { OpaquePointer(storage) }

    private var fields: bson_iter_t { storage.load(as: bson_iter_t.self) }

    /// Offset of the current element in the document.
    var offset: Int { Int(fields.off) }
    /// Offset of the element after the current one.
    var nextOffset: Int { Int(fields.next_off) }
    /// Non-zero when iteration stopped at a corrupt element.
    var errorOffset: Int { Int(fields.err_off) }

    /// Positions the iterator before the first element of `buffer`; false if
    /// the buffer is not a plausible document.
    func start(_ buffer: UnsafeBufferPointer<UInt8>) -> Bool {
        bson_iter_init_from_data(pointer, buffer.baseAddress, buffer.count)
    }

    func start(_ base: UnsafePointer<UInt8>, count: Int) -> Bool {
        bson_iter_init_from_data(pointer, base, count)
    }

    func next() -> Bool { bson_iter_next(pointer) }

    var key: String { String(cString: bson_iter_key(pointer)) }

    var type: bson_type_t { bson_iter_type(pointer) }

    func find(_ key: String) -> Bool { bson_iter_find(pointer, key) }

    /// Points `child` at the first element of the current document or array.
    func recurse(into child: borrowing LibBSONIterator) -> Bool {
        bson_iter_recurse(pointer, child.pointer)
    }
}
