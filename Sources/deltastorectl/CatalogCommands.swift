import ArgumentParser
import BSONCore
import DeltaStoreClient

/// `deltastorectl products`: every product with data.
struct ProductsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "products", abstract: "List products (sorted).")

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let client = try await connection.connect()
        defer { Task { await client.close() } }
        do {
            let result = try await client.call("products.list")
            for product in (result["products"]?.arrayValue ?? []).compactMap(\.stringValue) { Output.line(product) }
        } catch {
            throw Output.fail(error)
        }
    }
}

/// `deltastorectl expiries PRODUCT`: a product's expiries.
struct ExpiriesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "expiries", abstract: "List a product's expiries (ascending).")

    @OptionGroup var connection: ConnectionOptions
    @Argument(help: "Product, e.g. NIFTY.") var product: String

    func run() async throws {
        let client = try await connection.connect()
        defer { Task { await client.close() } }
        do {
            let result = try await client.call("expiries.list", ["product": .string(product)])
            for expiry in (result["expiries"]?.arrayValue ?? []).compactMap(\.stringValue) { Output.line(expiry) }
        } catch {
            throw Output.fail(error)
        }
    }
}

/// `deltastorectl health`: is the daemon and its store well. Exits 1 when degraded or failed.
struct HealthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "health", abstract: "Show the daemon's and the store's health (exit 1 when degraded or failed).")

    @OptionGroup var connection: ConnectionOptions

    func run() async throws {
        let client = try await connection.connect()
        defer { Task { await client.close() } }
        let result: BSONDocument
        do {
            result = try await client.call("health")
        } catch {
            throw Output.fail(error)
        }
        let status = result["status"]?.stringValue ?? "?"
        let store = result["store"]?.documentValue ?? BSONDocument()
        var line = "\(status): store \(store["kind"]?.stringValue ?? "?") \(store["ok"]?.boolValue == true ? "ok" : "NOT OK"), up \(result["uptime_s"]?.integerValue ?? 0) s"
        if let error = store["error"]?.stringValue { line += " (\(error))" }
        if let reason = store["reason"]?.stringValue { line += ": \(reason)" }
        Output.line(line)
        if status != "ok" { throw ExitCode.failure }
    }
}
