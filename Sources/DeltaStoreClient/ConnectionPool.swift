import BSONCore
import NIOCore
import WireProtocol

/// A connection of the pool with what its `hello` said.
struct PooledConnection: Sendable {
    let connection: DeltaStoreConnection
    let hello: ServerHello
}

/// A fixed number of connection slots, filled lazily and refilled when their
/// connection dies (the daemon restarted, or closed it).
///
/// Each new connection starts with `hello`: the client learns the server's
/// limits (its requests are then bounded by `max_message_bytes`) and refuses
/// a protocol it does not speak. Callers that find the same slot empty share
/// one connection attempt. A failed attempt leaves the slot empty, so the next
/// call tries again: there is no retry loop and no backoff inside the pool.
actor ConnectionPool {
    private enum Slot {
        case empty
        case connecting(Task<PooledConnection, any Error>)
        case ready(PooledConnection)
    }

    private let configuration: DeltaStoreClientConfiguration
    private var slots: [Slot]
    private var nextSlot = 0
    private var closed = false

    init(configuration: DeltaStoreClientConfiguration) {
        self.configuration = configuration
        self.slots = Array(repeating: .empty, count: configuration.poolSize)
    }

    /// A live connection, round-robin over the slots; a dead one is replaced
    /// (one connection attempt, whose `hello` waits at most `timeout`).
    func connection(timeout: TimeAmount? = nil) async throws -> PooledConnection {
        let index = nextSlot
        nextSlot = (nextSlot + 1) % slots.count
        return try await connection(at: index, timeout: timeout)
    }

    /// A live connection other than `stale`, which the caller found closed.
    func replacing(_ stale: PooledConnection, timeout: TimeAmount?) async throws -> PooledConnection {
        for index in slots.indices {
            if case .ready(let pooled) = slots[index], pooled.connection === stale.connection {
                slots[index] = .empty
                return try await connection(at: index, timeout: timeout)
            }
        }
        return try await connection(timeout: timeout)
    }

    /// The most recent `hello` of any live connection.
    func latestHello() -> ServerHello? {
        for slot in slots {
            if case .ready(let pooled) = slot, pooled.connection.isActive { return pooled.hello }
        }
        return nil
    }

    /// Closes every connection; later calls fail with a connection error.
    func close() async {
        closed = true
        let current = slots
        slots = Array(repeating: .empty, count: slots.count)
        for slot in current {
            switch slot {
            case .ready(let pooled): await pooled.connection.close()
            case .connecting(let task): if let pooled = try? await task.value { await pooled.connection.close() }
            case .empty: break
            }
        }
    }

    private func connection(at index: Int, timeout: TimeAmount?) async throws -> PooledConnection {
        if closed { throw DeltaStoreError.connection("the client is closed") }
        switch slots[index] {
        case .ready(let pooled) where pooled.connection.isActive:
            return pooled
        case .connecting(let task):
            return try await task.value
        case .ready, .empty:
            let configuration = self.configuration
            let task = Task { try await Self.open(configuration, timeout: timeout) }
            slots[index] = .connecting(task)
            do {
                let pooled = try await task.value
                if closed {
                    await pooled.connection.close()
                    throw DeltaStoreError.connection("the client is closed")
                }
                slots[index] = .ready(pooled)
                return pooled
            } catch {
                if case .connecting = slots[index] { slots[index] = .empty }
                throw error
            }
        }
    }

    private static func open(_ configuration: DeltaStoreClientConfiguration, timeout: TimeAmount?) async throws -> PooledConnection {
        let connection = try await DeltaStoreConnection.connect(socketPath: configuration.socketPath)
        do {
            let result = try await connection.call("hello", ["client": .string(configuration.clientName)], timeout: timeout)
            let hello = try ServerHello(result)
            guard hello.protocolVersion == 1 else {
                throw DeltaStoreError.protocolViolation("the server speaks protocol \(hello.protocolVersion); this client speaks 1")
            }
            connection.setMaxRequestBytes(hello.limits.maxMessageBytes)
            return PooledConnection(connection: connection, hello: hello)
        } catch {
            await connection.close()
            throw error
        }
    }
}
