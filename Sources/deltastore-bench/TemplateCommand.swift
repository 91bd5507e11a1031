import ArgumentParser
import DeltaStoreClient
import Foundation
import NIOPosix

/// `deltastore-bench template`: writes one request of an operation as a BSON
/// file, `id` (int64) first, for the C load generator (`bench/c/loadgen.c
/// --request FILE`), which patches the id and sends copies. For `auth.verify`
/// it logs the benchmark user in first, so the file carries a real token.
struct TemplateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "template",
        abstract: "Write one request (ping, hello, auth.verify) as a BSON file for the C load generator."
    )

    @Option(help: "The daemon's Unix socket (auth.verify logs in through it).") var socket: String
    @Option(help: "ping, hello or auth.verify.") var op: String
    @Option(help: "Where to write the request.") var output: String

    func run() async throws {
        var token: String?
        if op == "auth.verify" {
            let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
            do {
                let connection = try await DeltaStoreConnection.connect(socketPath: socket, group: group)
                let result = try await connection.call("auth.login", ["email": .string(BenchData.email), "password": .string(BenchData.password)])
                await connection.close()
                token = result["token"]?.stringValue
            } catch {
                try? await group.shutdownGracefully()
                throw error
            }
            try? await group.shutdownGracefully()
        }
        let template: RequestTemplate
        switch op {
        case "hello": template = RequestTemplate.make(op: "hello", args: [:])
        default:
            guard let first = try RequestTemplate.templates(op: op, batch: 1, seedHours: 1, token: token).first else {
                throw BenchFailure("no template for \(op)")
            }
            template = first
        }
        guard case .none = template.patch else { throw BenchFailure("\(op) changes per request; the C load generator sends fixed requests only") }
        try Data(template.bytes).write(to: URL(fileURLWithPath: output))
    }
}
