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
            for product in try await client.products() { Output.line(product) }
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
            for expiry in try await client.expiries(product: product) { Output.line(expiry) }
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
        let health: Health
        do {
            health = try await client.health()
        } catch {
            throw Output.fail(error)
        }
        var line = "\(health.status): store \(health.storeKind) \(health.storeOK ? "ok" : "NOT OK"), up \(health.uptimeSeconds) s"
        if let error = health.storeError { line += " (\(error))" }
        if let reason = health.storeReason { line += ": \(reason)" }
        Output.line(line)
        if !health.isOK { throw ExitCode.failure }
    }
}
