/// Why the byte stream stopped being a sequence of BSON documents.
///
/// Any of these ends the connection: after a bad frame the reader cannot know
/// where the next document starts. The server answers once with BAD_FRAME
/// (`message` is this description) and closes.
public enum FrameError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The length prefix is below 5, the smallest document (`{}`), or negative.
    case lengthTooSmall(Int32)
    /// The length prefix is above the negotiated maximum.
    case lengthTooLarge(length: Int32, maximum: Int)
    /// The length prefix is above the lower maximum of this connection (a
    /// peer that may not call any operation taking large requests); `reason`
    /// says why the limit is lower.
    case lengthAboveConnectionLimit(length: Int32, maximum: Int, reason: String)
    /// The stream ended in the middle of a frame.
    case truncated(received: Int, expected: Int)
    /// The bytes of a frame are not a valid BSON document.
    case invalidDocument(String)
    /// The frame did not finish arriving within the frame timeout (counted
    /// only while the server was reading the connection).
    case timedOut(milliseconds: Int64)

    public var description: String {
        switch self {
        case .lengthTooSmall(let length):
            return "frame length \(length) is below the minimum of 5 bytes"
        case .lengthTooLarge(let length, let maximum):
            return "frame length \(length) exceeds the maximum of \(maximum) bytes"
        case .lengthAboveConnectionLimit(let length, let maximum, let reason):
            return "frame length \(length) exceeds this connection's maximum of \(maximum) bytes (\(reason))"
        case .truncated(let received, let expected):
            return "stream ended after \(received) of \(expected) bytes of a frame"
        case .invalidDocument(let reason):
            return "frame is not a valid BSON document: \(reason)"
        case .timedOut(let milliseconds):
            return "frame not completed within \(milliseconds) ms of its first byte (time the server was not reading excluded)"
        }
    }
}
