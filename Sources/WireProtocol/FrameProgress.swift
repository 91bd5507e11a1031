/// Tracks where a byte stream stands relative to frame boundaries, without
/// buffering: whether the bytes seen so far end inside a frame.
///
/// The server uses it to bound how long one frame may take to arrive (a
/// client sending a frame one byte per second must not hold a connection and
/// its buffer forever). Lengths are taken from the prefix as the decoder does;
/// an invalid length is the decoder's business, so it just ends tracking.
public struct FrameProgress: Sendable, Equatable {
    private var prefix: UInt32 = 0
    private var prefixBytes = 0
    private var remaining = 0

    public init() {}

    /// True while the bytes seen end in the middle of a frame.
    public var isInsideFrame: Bool { prefixBytes > 0 || remaining > 0 }

    /// Advances over `bytes`; returns how many frames were completed.
    @discardableResult
    public mutating func consume<Bytes: Collection>(_ bytes: Bytes) -> Int where Bytes.Element == UInt8, Bytes.Index == Int {
        var completed = 0
        var index = bytes.startIndex
        while index < bytes.endIndex {
            if remaining > 0 {
                let step = min(remaining, bytes.endIndex - index)
                remaining -= step
                index += step
                if remaining == 0 { completed += 1 }
                continue
            }
            prefix |= UInt32(bytes[index]) << (8 * UInt32(prefixBytes))
            prefixBytes += 1
            index += 1
            if prefixBytes == 4 {
                let length = Int(Int32(bitPattern: prefix))
                prefix = 0
                prefixBytes = 0
                if length >= 5 {
                    remaining = length - 4
                }
            }
        }
        return completed
    }
}
