import NIOConcurrencyHelpers
import NIOCore

/// The open connections, so that shutdown can drain them and `stats` count them.
final class ConnectionRegistry: Sendable {
    private let channels = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])
    private let nextID = NIOLockedValueBox<UInt64>(0)

    func makeID() -> UInt64 {
        nextID.withLockedValue { value in
            value += 1
            return value
        }
    }

    func add(_ channel: any Channel) {
        channels.withLockedValue { $0[ObjectIdentifier(channel)] = channel }
        channel.closeFuture.whenComplete { [weak self] _ in
            self?.channels.withLockedValue { _ = $0.removeValue(forKey: ObjectIdentifier(channel)) }
        }
    }

    var count: Int { channels.withLockedValue { $0.count } }

    var all: [any Channel] { channels.withLockedValue { Array($0.values) } }
}
