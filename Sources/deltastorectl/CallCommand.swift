import ArgumentParser
import BSONCore
import DeltaStoreClient
import WireProtocol

/// `deltastorectl call OP --args '{…}'`: any operation, extended JSON in and out.
struct CallCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "call",
        abstract: "Call any operation; prints the result as extended JSON.",
        discussion: """
        Arguments are MongoDB extended JSON (relaxed or canonical), e.g.
          deltastorectl call ping --args '{"delay_ms": 100}'
          deltastorectl call ticks.query --args '{"product": "NIFTY", "start": {"$date": "2025-01-30T09:15:00Z"}}'
        """
    )

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The operation, e.g. ping or ticks.query.")
    var op: String

    @Option(name: .long, help: "The operation's arguments as an extended-JSON document.")
    var args: String?

    @Option(name: .long, help: "Deadline for the request in milliseconds.")
    var deadlineMs: Int64?

    @Flag(name: .long, help: "Print canonical extended JSON (every type explicit) instead of relaxed.")
    var canonical = false

    @Flag(name: .long, help: "Print the whole reply envelope, not only the result.")
    var envelope = false

    func validate() throws {
        if let deadlineMs, !(1...Request.maxDeadlineMilliseconds).contains(deadlineMs) {
            throw ValidationError("--deadline-ms must be between 1 and \(Request.maxDeadlineMilliseconds)")
        }
    }

    func run() async throws {
        var arguments = BSONDocument()
        if let args {
            do {
                arguments = try BSONDocument(extendedJSON: args)
            } catch {
                throw ValidationError("--args is not a valid extended-JSON document: \(error)")
            }
        }
        let client = try await connection.connect()
        defer { Task { await client.close() } }
        let reply: Reply
        do {
            reply = try await client.send(op, arguments, deadline: deadlineMs.map { .milliseconds($0) })
        } catch {
            throw Output.fail(error)
        }
        let shown: BSONDocument
        switch reply {
        case .success(_, let result):
            shown = envelope ? reply.document : result
        case .failure(_, let error):
            if envelope { Output.line(Output.pretty(reply.document.relaxedExtendedJSON)) }
            throw Output.fail(error)
        }
        Output.line(Output.pretty(canonical ? shown.canonicalExtendedJSON : shown.relaxedExtendedJSON))
    }
}
