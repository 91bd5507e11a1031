import NIOConcurrencyHelpers
import NIOCore

/// Buffers lent to the connections of one event loop: the bytes of a read
/// that must wait (a frame not complete yet, requests not started yet), and
/// the replies gathered during a read cycle until they are written.
///
/// A connection holds a buffer only while it has such bytes, and gives it
/// back once they are consumed or written: thousands of idle connections
/// hold none, and a busy one reuses the same few without allocating. Only
/// buffers of at most `maximumCapacity` bytes are kept, at most `maximumCount`
/// of them, so what the pool keeps is bounded whatever went through it.
///
/// Confined to its event loop, like the handlers that use it.
final class BufferPool {
    let allocator: ByteBufferAllocator
    let maximumCapacity: Int
    let maximumCount: Int
    private var free: [ByteBuffer] = []

    init(allocator: ByteBufferAllocator, maximumCapacity: Int = 64 << 10, maximumCount: Int = 64) {
        self.allocator = allocator
        self.maximumCapacity = maximumCapacity
        self.maximumCount = maximumCount
        free.reserveCapacity(maximumCount)
    }

    /// An empty buffer with room for at least `capacity` bytes.
    func take(capacity: Int) -> ByteBuffer {
        if capacity <= maximumCapacity, let buffer = free.popLast() {
            return buffer
        }
        return allocator.buffer(capacity: max(capacity, 4096))
    }

    /// Takes `buffer` back (emptied) if it is worth keeping. The caller holds
    /// the only reference to its storage (nothing else will write to it).
    func give(_ buffer: inout ByteBuffer) {
        guard buffer.capacity <= maximumCapacity, free.count < maximumCount else { return }
        buffer.clear()
        free.append(buffer)
    }

    var count: Int { free.count }
}

/// One `BufferPool` per event loop, made when the loop's first connection
/// opens (the lookup is once per connection).
final class BufferPools: Sendable {
    private let pools = NIOLockedValueBox<[ObjectIdentifier: NIOLoopBound<BufferPool>]>([:])

    func pool(for loop: any EventLoop, allocator: ByteBufferAllocator) -> BufferPool {
        loop.preconditionInEventLoop()
        let key = ObjectIdentifier(loop)
        return pools.withLockedValue { table in
            if let bound = table[key] { return bound.value }
            let pool = BufferPool(allocator: allocator)
            table[key] = NIOLoopBound(pool, eventLoop: loop)
            return pool
        }
    }
}
