/// A step of the start failed: the reason was logged (critical) where it
/// happened, and what had opened before it is closed. The executable exits 1.
public struct DaemonStartFailure: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
