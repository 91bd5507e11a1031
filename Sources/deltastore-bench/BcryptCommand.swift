import ArgumentParser
import CCrypt
import Foundation
import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// `deltastore-bench bcrypt`: bcrypt's own cost, the anchor of `auth.login`.
/// Seconds per hash at a cost, measured with libxcrypt's `crypt_ra` (what
/// deltastored's `Bcrypt` calls) on one thread, and cores ÷ that: the most
/// logins per second this machine could ever do. Also measured: hashes per
/// second with one thread per core, to show how well bcrypt scales here.
struct BcryptCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bcrypt",
        abstract: "Seconds per bcrypt hash at a cost, and cores ÷ that (the auth.login anchor)."
    )

    @Option(help: "bcrypt cost.") var cost: Int = 12
    @Option(help: "Hashes timed one after another (the median is reported).") var count: Int = 5
    @Option(help: "Label of the JSON line.") var label: String?

    func run() async throws {
        guard let settingPointer = crypt_gensalt_ra("$2b$", UInt(cost), nil, 0) else { throw BenchFailure("crypt_gensalt_ra failed") }
        let setting = String(cString: settingPointer)
        free(settingPointer)
        let password = BenchData.password
        _ = try Self.hash(password, setting) // warm up
        var times: [Double] = []
        for _ in 0..<max(1, count) {
            let start = BenchClock.nanoseconds()
            _ = try Self.hash(password, setting)
            times.append(Double(BenchClock.nanoseconds() - start) / 1e9)
        }
        times.sort()
        let secondsPerHash = times[times.count / 2]
        let cores = System.coreCount

        // All cores at once: as many hashes as threads, twice.
        let pool = NIOThreadPool(numberOfThreads: cores)
        pool.start()
        let start = BenchClock.nanoseconds()
        let rounds = 2
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<(cores * rounds) {
                group.addTask { _ = try await pool.runIfActive { try Self.hash(password, setting) } }
            }
            try await group.waitForAll()
        }
        let parallelRate = Double(cores * rounds) / (Double(BenchClock.nanoseconds() - start) / 1e9)
        try await pool.shutdownGracefully()

        let limit = Double(cores) / secondsPerHash
        FileHandle.standardError.write(Data(String(
            format: "bcrypt cost %d: %.4f s per hash on one thread; %d cores ÷ that = %.2f hashes/s; measured with %d threads: %.2f hashes/s\n",
            cost, secondsPerHash, cores, limit, cores, parallelRate
        ).utf8))
        var line = JSONLine(bench: "bcrypt", label: label)
        line.add("cost", cost)
        line.add("cores", cores)
        line.add("seconds_per_hash", secondsPerHash)
        line.add("requests_per_s", limit)
        line.add("parallel_hashes_per_s", parallelRate)
        line.print()
    }

    static func hash(_ password: String, _ setting: String) throws -> String {
        var data: UnsafeMutableRawPointer?
        var size: Int32 = 0
        defer { free(data) }
        guard let result = crypt_ra(password, setting, &data, &size) else { throw BenchFailure("crypt_ra failed") }
        let text = String(cString: result)
        guard !text.hasPrefix("*") else { throw BenchFailure("crypt_ra refused the setting") }
        return text
    }
}
