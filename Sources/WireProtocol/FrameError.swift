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
    /// The stream ended in the middle of a frame.
    case truncated(received: Int, expected: Int)
    /// The bytes of a frame are not a valid BSON document.
    case invalidDocument(String)

    public var description: String {
        switch self {
        case .lengthTooSmall(let length):
            return "frame length \(length) is below the minimum of 5 bytes"
        case .lengthTooLarge(let length, let maximum):
            return "frame length \(length) exceeds the maximum of \(maximum) bytes"
        case .truncated(let received, let expected):
            return "stream ended after \(received) of \(expected) bytes of a frame"
        case .invalidDocument(let reason):
            return "frame is not a valid BSON document: \(reason)"
        }
    }
}
