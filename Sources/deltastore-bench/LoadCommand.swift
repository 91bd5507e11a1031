import ArgumentParser
import BSONCore
import DeltaStoreClient
import Foundation
import NIOCore
import NIOPosix

/// `deltastore-bench load`: C connections × P requests in flight each, for a
/// duration, against deltastored or the echo server.
struct LoadCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "load",
        abstract: "Drive a server with C connections × P requests in flight for a duration; print requests/s and latency percentiles."
    )

    @Option(help: "The server's Unix socket.") var socket: String
    @Option(help: "Connections (C).") var connections: Int = 1
    @Option(name: .customLong("in-flight"), help: "Requests in flight per connection (P).") var inFlight: Int = 1
    @Option(help: "Measured seconds.") var duration: Double = 5
    @Option(help: "Seconds of load before the measurement starts.") var warmup: Double = 1
    @Option(help: "ping, ticks.insert, ticks.query.latest, ticks.query.range, auth.verify or auth.login.") var op: String = "ping"
    @Option(help: "Ticks per ticks.insert request.") var batch: Int = 1000
    @Option(help: "Requests per second over all connections (0 = as fast as replies come back).") var rate: Double = 0
    @Option(help: "Event-loop threads of the generator.") var threads: Int = 1
    @Option(name: .customLong("seed-hours"), help: "Hours of seeded ticks (where range queries look).") var seedHours: Int = 6
    @Option(help: "Label of the JSON line (bench/run's case name).") var label: String?

    func validate() throws {
        guard connections >= 1, inFlight >= 1, duration > 0, warmup >= 0, batch >= 1, threads >= 1, seedHours >= 1 else {
            throw ValidationError("counts and durations must be positive")
        }
    }

    func run() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        do {
            try await measure(group)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        try? await group.shutdownGracefully()
    }

    private func measure(_ group: MultiThreadedEventLoopGroup) async throws {
        var token: String?
        if op == "auth.verify" {
            let connection = try await DeltaStoreConnection.connect(socketPath: socket, group: group)
            let result = try await connection.call("auth.login", ["email": .string(BenchData.email), "password": .string(BenchData.password)])
            await connection.close()
            token = result["token"]?.stringValue
        }
        let templates = try RequestTemplate.templates(op: op, batch: batch, seedHours: seedHours, token: token)
        let result = try await LoadRunner.run(
            socketPath: socket, group: group, templates: templates, connections: connections, inFlight: inFlight,
            warmup: warmup, duration: duration, rate: rate
        )
        var summary = "\(op) C=\(connections) P=\(inFlight): \(Format.rate(result.requestsPerSecond)) requests/s"
        if result.rows > 0 { summary += ", \(Format.rate(result.rowsPerSecond)) rows/s" }
        summary += "; latency p50 \(Format.micros(result.micros(50))), p99 \(Format.micros(result.micros(99))), p99.9 \(Format.micros(result.micros(99.9)))"
        summary += "; \(result.requests) requests in \(duration) s"
        if result.errors > 0 { summary += "; \(result.errors) ERRORS (first: \(result.firstError ?? "?"))" }
        if result.duplicates > 0 { summary += "; \(result.duplicates) duplicates" }
        FileHandle.standardError.write(Data((summary + "\n").utf8))

        var line = JSONLine(bench: "load", label: label)
        line.add("op", op)
        line.add("connections", connections)
        line.add("in_flight", inFlight)
        line.add("batch", op == "ticks.insert" ? batch : 0)
        line.add("rate", rate)
        line.add("seconds", duration)
        line.add("requests", result.requests)
        line.add("requests_per_s", result.requestsPerSecond)
        line.add("rows_per_s", result.rowsPerSecond)
        line.add("p50_us", result.micros(50))
        line.add("p99_us", result.micros(99))
        line.add("p999_us", result.micros(99.9))
        line.add("max_us", Double(result.latency.max) / 1000)
        line.add("errors", result.errors)
        line.add("duplicates", result.duplicates)
        if let first = result.firstError { line.add("first_error", first) }
        line.print()
        if result.errors > 0 || result.requests == 0 { throw ExitCode(3) }
    }
}
