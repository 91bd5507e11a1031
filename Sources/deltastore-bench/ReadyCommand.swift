#if canImport(Glibc)
import Glibc
#endif
import ArgumentParser
import Foundation

/// `deltastore-bench ready`: how long deltastored takes from exec to
/// `READY=1` on a fresh SQLite file. It plays systemd's part: a datagram
/// socket named in `NOTIFY_SOCKET`, the clock started just before the process
/// is spawned, stopped when the `READY=1` datagram arrives; then SIGTERM.
struct ReadyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ready",
        abstract: "Milliseconds from exec of deltastored to READY=1 (sd_notify) on a fresh SQLite file; median of runs."
    )

    @Option(help: "The deltastored binary.") var daemon: String
    @Option(help: "Starts to time.") var runs: Int = 5
    @Option(name: .customLong("bcrypt-cost"), help: "--bcrypt-cost passed to the daemon.") var bcryptCost: Int = 12
    @Option(help: "Directory for the runs' temporary files.") var workdir: String = NSTemporaryDirectory()
    @Option(help: "Label of the JSON line.") var label: String?

    func run() async throws {
        var times: [Double] = []
        for index in 0..<max(1, runs) {
            let directory = "\(workdir)/ready-\(getpid())-\(index)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(atPath: directory) }
            times.append(try once(directory: directory))
        }
        let sorted = times.sorted()
        let median = sorted[sorted.count / 2]
        FileHandle.standardError.write(Data("READY=1 after \(String(format: "%.1f", median)) ms (median of \(times.count): \(times.map { String(format: "%.1f", $0) }.joined(separator: ", ")) ms)\n".utf8))
        var line = JSONLine(bench: "ready", label: label)
        line.add("runs", times.count)
        line.add("ready_ms", median)
        line.add("min_ms", sorted[0])
        line.add("max_ms", sorted[sorted.count - 1])
        line.print()
    }

    private func once(directory: String) throws -> Double {
        let notifyPath = directory + "/notify.sock"
        let fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw BenchFailure("socket(): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (index, byte) in notifyPath.utf8.prefix(raw.count - 1).enumerated() { raw[index] = byte }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw BenchFailure("bind(\(notifyPath)): \(String(cString: strerror(errno)))") }

        let process = Process()
        process.executableURL = URL(fileURLWithPath: daemon)
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        process.arguments = [
            "--socket", directory + "/d.sock", "--store", "sqlite:" + directory + "/data/deltastore.db",
            "--bcrypt-cost", String(bcryptCost), "--log-level", "warning",
        ]
        var environment = ProcessInfo.processInfo.environment
        environment["NOTIFY_SOCKET"] = notifyPath
        environment["STATE_DIRECTORY"] = directory + "/data"
        environment.removeValue(forKey: "LISTEN_FDS")
        environment.removeValue(forKey: "LISTEN_PID")
        process.environment = environment
        process.standardError = FileHandle(forWritingAtPath: "/dev/null")
        let start = BenchClock.nanoseconds()
        try process.run()
        defer {
            if process.isRunning {
                kill(process.processIdentifier, SIGTERM)
                let deadline = Date().addingTimeInterval(10)
                while process.isRunning, Date() < deadline { usleep(10_000) }
                if process.isRunning { kill(process.processIdentifier, SIGKILL) }
                process.waitUntilExit()
            }
        }
        var buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = start + 20_000_000_000
        while BenchClock.nanoseconds() < deadline {
            var poller = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            let left = Int32((deadline - BenchClock.nanoseconds()) / 1_000_000)
            guard poll(&poller, 1, max(1, left)) > 0 else { continue }
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { continue }
            let text = String(decoding: buffer.prefix(count), as: UTF8.self)
            if text.split(separator: "\n").contains("READY=1") {
                return Double(BenchClock.nanoseconds() - start) / 1e6
            }
            if !process.isRunning { break }
        }
        throw BenchFailure("deltastored sent no READY=1 within 20 s (exit status \(process.isRunning ? "running" : String(process.terminationStatus)))")
    }
}
