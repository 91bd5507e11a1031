import ArgumentParser
import BSONCore
import DeltaStoreClient

/// `deltastorectl hello`: what the daemon is and what it offers.
struct HelloCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hello", abstract: "Show the daemon's versions, store, limits and operations.")

    @OptionGroup var connection: ConnectionOptions

    @Flag(name: .long, help: "Print the raw result as extended JSON.")
    var json = false

    func run() async throws {
        let client = try await connection.connect()
        defer { Task { await client.close() } }
        let result: BSONDocument
        do {
            result = try await client.call("hello", ["client": "deltastorectl"])
        } catch {
            throw Output.fail(error)
        }
        if json {
            Output.line(Output.pretty(result.relaxedExtendedJSON))
            return
        }
        let limits = result["limits"]?.documentValue ?? BSONDocument()
        let ops = (result["ops"]?.arrayValue ?? []).compactMap(\.stringValue)
        Output.line("\(result["server"]?.stringValue ?? "?") \(result["version"]?.stringValue ?? "?") protocol \(result["protocol"]?.integerValue.map(String.init) ?? "?") store \(result["store"]?.stringValue ?? "?")")
        Output.line("limits: " + limits.elements.map { "\($0.key)=\($0.value.integerValue.map(String.init) ?? "?")" }.joined(separator: " "))
        Output.line("operations: " + ops.joined(separator: " "))
    }
}
