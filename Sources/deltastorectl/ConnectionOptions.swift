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

    /// Connects, or exits with status 69 (EX_UNAVAILABLE) and a readable reason.
    func connect() async throws -> DeltaStoreConnection {
        do {
            return try await DeltaStoreConnection.connect(socketPath: socketPath)
        } catch {
            let reason = (error as? DeltaStoreError).map { if case .connection(let text) = $0 { return text } else { return "\($0)" } } ?? "\(error)"
            Output.error("""
                deltastorectl: cannot reach deltastored: \(reason).
                Start it with `./dev run` in a checkout, or `sudo systemctl start deltastore.socket` where it is installed; \
                `--socket PATH` or DELTASTORE_SOCKET names another socket.
                """)
            throw ExitCode(69)
        }
    }
}
