/// Where a byte stream stands relative to frame boundaries, without buffering.
///
/// The server runs every byte it reads through one of these as it arrives:
/// it learns a frame's declared length as soon as the 4 bytes of its prefix
/// are in (and checks it against bounds then, §3.2 step 1, before any byte of
/// the body is waited for), how many frames are complete, and whether the
/// bytes seen so far end inside a frame. That is what the connection decides
/// on (whether the frame needs room in the memory budget, whether its timer
/// runs) while the bytes themselves wait, undecoded, until the request can
/// start.
public struct FrameProgress: Sendable, Equatable {
    /// What the bytes advanced over ended with.
    public enum Step: Sendable, Equatable {
        /// Every byte given was consumed; no boundary was crossed.
        case needMore
        /// A frame's length prefix is complete and within bounds; its body
        /// (`length − 4` bytes) follows.
        case started(length: Int)
        /// The last byte of a frame of `length` bytes.
        case completed(length: Int)
        /// The prefix just completed is out of bounds. Nothing more is
        /// tracked: the stream is unusable from this frame on.
        case failed(FrameError)
    }

    /// The largest frame accepted on this stream.
    public let maximumFrameBytes: Int
    /// Why `maximumFrameBytes` is lower than the protocol's limit, if it is:
    /// named in the error a longer frame gets.
    public let limitReason: String?

    private var prefix: UInt32 = 0
    private var prefixBytes = 0
    private var remaining = 0
    /// The declared length of the frame in progress, once its prefix is complete.
    public private(set) var currentLength: Int?
    public private(set) var failure: FrameError?

    public init(maximumFrameBytes: Int, limitReason: String? = nil) {
        self.maximumFrameBytes = maximumFrameBytes
        self.limitReason = limitReason
    }

    /// True while the bytes seen end in the middle of a frame (1 to 3 bytes
    /// of a prefix included).
    public var isInsideFrame: Bool { prefixBytes > 0 || remaining > 0 }

    /// Bytes of the frame in progress seen so far; 0 between frames.
    public var receivedOfCurrentFrame: Int {
        if let currentLength { return currentLength - remaining }
        return prefixBytes
    }

    /// Advances over `bytes` from `offset` up to the next event, and moves
    /// `offset` past the bytes consumed. Call it until it says `needMore`.
    public mutating func advance(_ bytes: UnsafeRawBufferPointer, from offset: inout Int) -> Step {
        if let failure { return .failed(failure) }
        while offset < bytes.count {
            if remaining > 0 {
                let step = min(remaining, bytes.count - offset)
                remaining -= step
                offset += step
                if remaining == 0, let length = currentLength {
                    currentLength = nil
                    return .completed(length: length)
                }
                continue
            }
            prefix |= UInt32(bytes[offset]) << (8 * UInt32(prefixBytes))
            prefixBytes += 1
            offset += 1
            guard prefixBytes == 4 else { continue }
            let length = Int32(bitPattern: prefix)
            prefix = 0
            prefixBytes = 0
            if length < 5 {
                failure = .lengthTooSmall(length)
            } else if Int(length) > maximumFrameBytes {
                failure = limitReason.map { .lengthAboveConnectionLimit(length: length, maximum: maximumFrameBytes, reason: $0) }
                    ?? .lengthTooLarge(length: length, maximum: maximumFrameBytes)
            }
            if let failure { return .failed(failure) }
            currentLength = Int(length)
            remaining = Int(length) - 4
            return .started(length: Int(length))
        }
        return .needMore
    }

    /// Advances over all of `bytes`; returns how many frames were completed
    /// (stopping at a length out of bounds, see `failure`).
    @discardableResult
    public mutating func consume(_ bytes: [UInt8]) -> Int {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            var completed = 0
            while true {
                switch advance(raw, from: &offset) {
                case .needMore, .failed: return completed
                case .started: continue
                case .completed: completed += 1
                }
            }
        }
    }
}
