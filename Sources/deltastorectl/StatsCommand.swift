import ArgumentParser
import BSONCore
import DeltaStoreClient

/// `deltastorectl stats`: what the daemon has been doing since it started.
struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Show connections, uptime, and per-operation counts, errors and latencies.")

    @OptionGroup var connection: ConnectionOptions

    @Flag(name: .long, help: "Print the raw result as extended JSON.")
    var json = false

    func run() async throws {
        let client = try await connection.connect()
        defer { Task { await client.close() } }
        let result: BSONDocument
        do {
            result = try await client.call("stats")
        } catch {
            throw Output.fail(error)
        }
        if json {
            Output.line(Output.pretty(result.relaxedExtendedJSON))
            return
        }
        let errors = result["protocol_errors"]?.documentValue ?? BSONDocument()
        Output.line("connections \(Cell.text(result["connections"])) open, \(Cell.text(result["connections_total"])) since start; up \(Cell.text(result["uptime_s"])) s")
        Output.line("protocol errors: bad frames \(Cell.text(errors["bad_frames"])), bad requests \(Cell.text(errors["bad_requests"])), unknown ops \(Cell.text(errors["unknown_ops"]))")
        let table = Table([("OPERATION", 16, false), ("COUNT", 10, true), ("ERRORS", 8, true), ("P50_US", 9, true), ("P99_US", 9, true), ("MAX_US", 10, true)])
        Output.line(table.header)
        for (name, value) in (result["ops"]?.documentValue ?? BSONDocument()).elements {
            let op = value.documentValue ?? BSONDocument()
            Output.line(table.row([name, Cell.text(op["count"]), Cell.text(op["errors"]), Cell.text(op["p50_us"]), Cell.text(op["p99_us"]), Cell.text(op["max_us"])]))
        }
        let clients = (result["clients"]?.arrayValue ?? []).compactMap(\.documentValue)
        if !clients.isEmpty {
            Output.line("clients: " + clients.map { "conn \(Cell.text($0["conn"])) uid \(Cell.text($0["uid"])) pid \(Cell.text($0["pid"]))" }.joined(separator: ", "))
        }
    }
}
