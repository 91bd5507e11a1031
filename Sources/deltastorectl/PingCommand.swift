import ArgumentParser
import DeltaStoreClient
import NIOCore

/// `deltastorectl ping`: round trips with their times.
struct PingCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "ping", abstract: "Check that the daemon answers, and how fast.")

    @OptionGroup var connection: ConnectionOptions

    @Option(name: .shortAndLong, help: "Number of pings.")
    var count: Int = 1

    @Option(name: .shortAndLong, help: "Seconds to wait between pings (0 to 3600), all on one connection.")
    var interval: Double = 0

    func validate() throws {
        guard (1...1_000_000).contains(count) else { throw ValidationError("--count must be between 1 and 1000000") }
        guard interval >= 0, interval <= 3600 else { throw ValidationError("--interval must be between 0 and 3600 seconds") }
    }

    func run() async throws {
        let client = try await connection.connect()
        defer { Task { await client.close() } }
        for sequence in 1...count {
            if sequence > 1, interval > 0 { try await Task.sleep(nanoseconds: UInt64(interval * 1_000_000_000)) }
            let start = NIODeadline.now()
            do {
                try await client.ping()
            } catch {
                throw Output.fail(error)
            }
            let micros = Double((NIODeadline.now() - start).nanoseconds) / 1000
            Output.line("pong from \(connection.socketPath): seq=\(sequence) time=\(String(format: "%.3f", micros / 1000)) ms")
        }
    }
}
