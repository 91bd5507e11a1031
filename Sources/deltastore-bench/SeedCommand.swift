import ArgumentParser
import BSONCore
import DeltaStoreClient
import Foundation
import NIOPosix
import WireProtocol

/// `deltastore-bench seed`: fills a running deltastored with the benchmark's
/// ticks (the same ones `store --op seed` writes in process) and registers the
/// benchmark user for `auth.login` and `auth.verify`.
struct SeedCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "seed",
        abstract: "Seed a running deltastored with the benchmark ticks and register the benchmark user."
    )

    @Option(help: "The daemon's Unix socket.") var socket: String
    @Option(name: .customLong("seed-hours"), help: "Hours of ticks per product.") var seedHours: Int = 6
    @Flag(name: .customLong("no-user"), help: "Do not register the benchmark user.") var noUser = false

    func run() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        do {
            try await seed(group)
        } catch {
            try? await group.shutdownGracefully()
            throw error
        }
        try? await group.shutdownGracefully()
    }

    private func seed(_ group: MultiThreadedEventLoopGroup) async throws {
        let connection = try await DeltaStoreConnection.connect(socketPath: socket, group: group)
        var inserted = 0
        var pending: [BSONValue] = []
        func flush(all: Bool) async throws {
            while pending.count >= 1000 || (all && !pending.isEmpty) {
                let batch = Array(pending.prefix(1000))
                let result = try await connection.call("ticks.insert", ["ticks": .array(batch)])
                inserted += Int(result["inserted"]?.integerValue ?? 0)
                pending.removeFirst(batch.count)
            }
        }
        var steps = BenchData.simulator(hours: seedHours).makeSteps()
        while let step = steps.next() {
            pending += step.ticks.map { .document($0) }
            try await flush(all: false)
        }
        try await flush(all: true)
        var message = "seeded \(inserted) ticks"
        if !noUser {
            switch try await connection.send(op: "auth.register", args: ["email": .string(BenchData.email), "password": .string(BenchData.password)]) {
            case .success: message += "; registered \(BenchData.email)"
            case .failure(_, let error) where error.code == .conflict: message += "; \(BenchData.email) already registered"
            case .failure(_, let error): throw BenchFailure("auth.register: \(error.code.rawValue): \(error.message)")
            }
        }
        await connection.close()
        FileHandle.standardError.write(Data((message + "\n").utf8))
    }
}
