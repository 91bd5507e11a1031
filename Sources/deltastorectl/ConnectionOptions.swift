import ArgumentParser
import DeltaStoreClient
import Foundation
import WireProtocol

/// The options every subcommand shares: where the daemon is.
struct ConnectionOptions: ParsableArguments {
    @Option(name: .long, help: "The daemon's socket. Default: $DELTASTORE_SOCKET, else the daemon's own default.")
    var socket: String?

    var socketPath: String {
        if let socket { return socket }
        let environment = ProcessInfo.processInfo.environment
        if let fromEnvironment = environment["DELTASTORE_SOCKET"], !fromEnvironment.isEmpty { return fromEnvironment }
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments.first ?? ""
        return DefaultLocations(environment: environment, executablePath: executable).socketPath
    }

    /// A client of the daemon (one connection, no deadline unless a command
    /// gives one), connected: or exits with status 69 (EX_UNAVAILABLE) and a
    /// sentence saying where nothing answered and how to start the daemon.
    func connect() async throws -> DeltaStoreClient {
        let client = DeltaStoreClient(configuration: DeltaStoreClientConfiguration(
            socketPath: socketPath, poolSize: 1, defaultDeadline: nil, clientName: "deltastorectl"
        ))
        do {
            _ = try await client.serverHello()
            return client
        } catch let error as DeltaStoreError where error.isConnectionFailure {
            await client.close()
            let reason: String
            if case .connection(let text) = error { reason = text } else { reason = "\(error)" }
            Output.error("""
                deltastorectl: cannot reach deltastored: \(reason).
                Start it with `./dev run` in a checkout, or `sudo systemctl start deltastore.socket` where it is installed; \
                `--socket PATH` or DELTASTORE_SOCKET names another socket.
                """)
            throw ExitCode(69)
        } catch {
            await client.close()
            throw Output.fail(error)
        }
    }
}
