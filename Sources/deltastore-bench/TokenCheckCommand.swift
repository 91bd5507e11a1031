import ArgumentParser
import Auth
import Foundation
import Logging
import NIOCore
import NIOPosix

/// `deltastore-bench token-check`: the cost of checking an access token
/// without the verified-token cache, in process, no socket.
///
/// `auth.verify` in `bench/run` presents one token again and again, as a
/// gateway does for a user's requests, so the daemon answers it from its
/// verified-token cache; this case shows the price of the full check
/// (base64url, JSON header and claims, HMAC-SHA256, the claim rules) that a
/// token's first presentation pays: distinct tokens, the cache turned off,
/// one caller per core.
struct TokenCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token-check",
        abstract: "Access-token checks per second in process, without the verified-token cache (no socket)."
    )

    @Option(help: "Distinct tokens checked in turn.") var tokens: Int = 1000
    @Option(help: "Callers (threads); default: the cores.") var threads: Int?
    @Option(help: "Measured seconds.") var duration: Double = 3
    @Option(help: "Label of the JSON line.") var label: String?

    func run() async throws {
        let key = SigningKey(kid: "bench", secret: Array(repeating: 7, count: 32))
        let ring = KeyRing(keys: [key], logger: Logger(label: "bench", factory: { _ in SwiftLogNoOpLogHandler() }))
        let service = TokenService(keyRing: ring, settings: TokenSettings(verifiedCacheCapacity: 0))
        var issued: [String] = []
        for index in 0..<max(1, tokens) {
            issued.append(service.issue(userID: "user\(index)", email: "user\(index)@example.com", sessionID: "family\(index)").token)
        }
        let list = issued
        let callers = max(1, threads ?? System.coreCount)
        let end = BenchClock.nanoseconds() + UInt64(duration * 1e9)
        let start = BenchClock.nanoseconds()
        let counts = try await withThrowingTaskGroup(of: Int.self) { group in
            for caller in 0..<callers {
                group.addTask {
                    try await NIOThreadPool.singleton.runIfActive {
                        var done = 0
                        var index = caller
                        while BenchClock.nanoseconds() < end {
                            for _ in 0..<64 {
                                _ = try service.verify(list[index % list.count])
                                index += callers
                                done += 1
                            }
                        }
                        return done
                    }
                }
            }
            return try await group.reduce(0, +)
        }
        let seconds = Double(BenchClock.nanoseconds() - start) / 1e9
        let rate = Double(counts) / seconds
        FileHandle.standardError.write(Data(String(
            format: "token check without cache: %.0f checks/s with %d callers (%.2f µs of CPU each)\n",
            rate, callers, Double(callers) * 1e6 / rate
        ).utf8))
        var line = JSONLine(bench: "token-check", label: label)
        line.add("callers", callers)
        line.add("requests", counts)
        line.add("seconds", seconds)
        line.add("requests_per_s", rate)
        line.print()
    }
}
