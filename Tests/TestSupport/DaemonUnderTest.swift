import Foundation

/// A daemon a test talks to over its socket, whichever way it runs: the built
/// `deltastored` as a process (`DaemonProcess`), or the same assembly started
/// inside the test process (`InProcessDaemon`, in EndToEndTests). One test
/// body, two drivers: what the body checks must hold for both.
public protocol DaemonUnderTest: AnyObject {
    /// The socket the daemon listens on.
    var socketPath: String { get }
    /// Everything the daemon logged so far, one line per record.
    var log: String { get }
    /// True until the daemon has stopped (or failed to start).
    var isRunning: Bool { get }
    /// Waits until the socket accepts a connection; throws with the log if the
    /// daemon stops or does not listen in time.
    func waitUntilListening(timeout: TimeInterval) throws
    /// A graceful stop (what SIGTERM asks): stop accepting, drain, close the
    /// store. The exit status (0 for a clean stop), or nil if it still runs after `timeout`.
    @discardableResult
    func stopGracefully(timeout: TimeInterval) -> Int32?
    /// Stops the daemon if it still runs, forcefully after `grace` where it can.
    func stop(grace: TimeInterval)
}

extension DaemonUnderTest {
    /// `stop(grace:)` with 10 s of grace.
    public func stop() { stop(grace: 10) }
}

extension DaemonProcess: DaemonUnderTest {
    public var isRunning: Bool { process.isRunning }

    @discardableResult
    public func stopGracefully(timeout: TimeInterval = 20) -> Int32? {
        signal(SIGTERM)
        return waitForExit(timeout: timeout)
    }
}
