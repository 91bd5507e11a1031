import NIOConcurrencyHelpers
import NIOCore

/// The open connections, so that shutdown can drain them, and the connection
/// limits (in all and per peer uid) can be enforced at accept time.
final class ConnectionRegistry: Sendable {
    private struct State {
        var channels: [ObjectIdentifier: any Channel] = [:]
        var perUID: [UInt32: Int] = [:]
    }

    private let state = NIOLockedValueBox(State())
    private let nextID = NIOLockedValueBox<UInt64>(0)
    private let maxConnections: Int
    private let maxPerUID: Int

    init(maxConnections: Int = .max, maxPerUID: Int = .max) {
        self.maxConnections = maxConnections
        self.maxPerUID = maxPerUID
    }

    func makeID() -> UInt64 {
        nextID.withLockedValue { value in
            value += 1
            return value
        }
    }

    /// Registers `channel` unless a limit is reached; returns the refusal
    /// reason otherwise. The registration ends when the channel closes.
    func admit(_ channel: any Channel, uid: UInt32?) -> String? {
        let refusal: String? = state.withLockedValue { state in
            if state.channels.count >= maxConnections {
                return "the server has reached its limit of \(maxConnections) connections"
            }
            if let uid, state.perUID[uid, default: 0] >= maxPerUID {
                return "uid \(uid) has reached its limit of \(maxPerUID) connections"
            }
            state.channels[ObjectIdentifier(channel)] = channel
            if let uid { state.perUID[uid, default: 0] += 1 }
            return nil
        }
        guard refusal == nil else { return refusal }
        channel.closeFuture.whenComplete { [weak self] _ in
            self?.state.withLockedValue { state in
                _ = state.channels.removeValue(forKey: ObjectIdentifier(channel))
                if let uid {
                    state.perUID[uid, default: 1] -= 1
                    if state.perUID[uid] == 0 { state.perUID[uid] = nil }
                }
            }
        }
        return nil
    }

    var count: Int { state.withLockedValue { $0.channels.count } }

    var all: [any Channel] { state.withLockedValue { Array($0.channels.values) } }
}
