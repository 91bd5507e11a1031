import ArgumentParser
import BSONCore
import DeltaStoreClient
import Foundation

/// `deltastorectl stats`: what the daemon has been doing since it started.
struct StatsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "stats", abstract: "Show connections, uptime, per-operation counts, errors and latencies, and what the store holds.")

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
        if let store = result["store"]?.documentValue {
            Self.printStore(store)
        }
    }

    /// The `store` part: size, then one row per collection.
    static func printStore(_ store: BSONDocument) {
        if let error = store["error"]?.stringValue {
            Output.line("store \(Cell.text(store["kind"])): cannot be read now (\(error))")
            return
        }
        Output.line("store \(Cell.text(store["kind"])): \(ByteCount.text(store["bytes"]?.integerValue ?? 0))")
        let table = Table([("COLLECTION", 10, false), ("RECORDS", 12, true), ("OLDEST", 24, false), ("NEWEST", 24, false), ("RETAIN", 8, false)])
        Output.line(table.header)
        for (name, value) in (store["collections"]?.documentValue ?? BSONDocument()).elements {
            let collection = value.documentValue ?? BSONDocument()
            let retain = collection["retain_s"]?.integerValue.map(RetentionText.text) ?? "all"
            let oldest = collection["oldest"].map { Cell.time($0) } ?? "-"
            let newest = collection["newest"].map { Cell.time($0) } ?? "-"
            Output.line(table.row([name, Cell.text(collection["count"]), oldest, newest, retain]))
        }
        if let backup = store["backup"]?.documentValue {
            Output.line("backup \(Cell.text(backup["name"])) running: \(Cell.text(backup["pages_done"])) of \(Cell.text(backup["pages_total"])) pages")
        }
    }
}

/// A retention in seconds as `--retain` writes it: `30d`, `12h`, `90m`, `900s`.
enum RetentionText {
    static func text(_ seconds: Int64) -> String {
        if seconds > 0, seconds % 86_400 == 0 { return "\(seconds / 86_400)d" }
        if seconds > 0, seconds % 3600 == 0 { return "\(seconds / 3600)h" }
        if seconds > 0, seconds % 60 == 0 { return "\(seconds / 60)m" }
        return "\(seconds)s"
    }
}

/// Bytes for people: `12.3 MiB (12897484 bytes)`.
enum ByteCount {
    static func text(_ bytes: Int64) -> String {
        let units = ["KiB", "MiB", "GiB", "TiB"]
        var value = Double(bytes)
        var unit = ""
        for next in units where value >= 1024 {
            value /= 1024
            unit = next
        }
        guard !unit.isEmpty else { return "\(bytes) bytes" }
        return String(format: "%.1f", value) + " \(unit) (\(bytes) bytes)"
    }
}
