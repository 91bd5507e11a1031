import ArgumentParser
import DaemonAssembly
import Domain
import Foundation
import NIOCore
import RequestDispatch
import WireProtocol

/// The parsed options as the `DaemonConfiguration` the assembly takes, with
/// the defaults that depend on where the daemon runs (a checkout, systemd, an
/// install: `DefaultLocations`).
extension DaemonCommand {
    func daemonConfiguration(environment: [String: String], executablePath: String = Self.executablePath()) throws -> DaemonConfiguration {
        let locations = DefaultLocations(environment: environment, executablePath: executablePath)
        let location: StoreLocation
        do {
            location = try StoreLocation(parsing: store ?? Self.storeCredential(environment: environment), stateDirectory: locations.stateDirectory)
        } catch {
            throw ValidationError(String(describing: error))
        }
        return DaemonConfiguration(
            socketPath: socket ?? locations.socketPath,
            store: location,
            stateDirectory: locations.stateDirectory,
            allowNewStore: newStore,
            mongoWriteConcern: mongoWriteConcern,
            mongoStartupTimeout: .seconds(Int64(mongoStartupTimeout)),
            workerThreads: workerThreads,
            eventLoops: eventLoops ?? System.coreCount,
            limits: DaemonLimits(
                maxMessageBytes: maxMessageBytes, maxBatch: maxBatch, maxPage: maxPage, maxInFlight: maxInFlight,
                maxConnections: maxConnections, maxConnectionsPerUID: maxConnectionsPerUid,
                maxUnsentBytesPerConnection: maxUnsentBytes, maxBufferedBytes: maxBufferedBytes
            ),
            timeouts: DaemonTimeouts(
                frame: Self.milliseconds(frameTimeout), stall: Self.milliseconds(stallTimeout),
                idle: idleTimeout > 0 ? Self.milliseconds(idleTimeout) : nil, drain: Self.milliseconds(drainTimeout)
            ),
            accessRules: accessRules.map(AccessRulesSource.file) ?? (locations.fromCheckout ? .defaults : .installedWhenPresent),
            auth: auth.configuration(credentialsDirectory: environment["CREDENTIALS_DIRECTORY"]),
            lifecycle: lifecycle.configuration,
            systemd: true,
            handlesSignals: true
        )
    }

    /// Seconds of an option (checked to be at most 86400 by `validate`) as a `TimeAmount`.
    static func milliseconds(_ seconds: Double) -> TimeAmount {
        .milliseconds(Int64(seconds * 1000))
    }

    /// The store's connection string from systemd's credential `store-uri`
    /// (`LoadCredential=store-uri:/etc/deltastore/store-uri`), so a MongoDB
    /// password never appears on the command line.
    static func storeCredential(environment: [String: String]) -> String? {
        guard let directory = environment["CREDENTIALS_DIRECTORY"], !directory.isEmpty,
              let text = try? String(contentsOfFile: directory + "/store-uri", encoding: .utf8)
        else { return nil }
        let uri = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return uri.isEmpty ? nil : uri
    }

    /// The real path of this executable, to tell a checkout build from an install.
    static func executablePath() -> String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments.first ?? ""
    }
}
