/// Where the socket and the data live when no option says otherwise.
///
/// The daemon and `deltastorectl` must agree without being told, both when run
/// from a checkout (`swift run`, binaries under `.build/`) and when installed
/// and started by systemd. The rules, in order:
/// 1. systemd's `RUNTIME_DIRECTORY` / `STATE_DIRECTORY` when set;
/// 2. a binary inside a `.build` directory is "from a checkout": paths are
///    relative to the current directory (`./run`, `./data`);
/// 3. otherwise the installed locations under `/run` and `/var/lib`.
public struct DefaultLocations: Sendable, Equatable {
    public var socketPath: String
    public var stateDirectory: String
    /// Whether the binary runs from a checkout (inside `.build`), not installed.
    public var fromCheckout: Bool

    public static let socketFileName = "deltastore.sock"
    public static let installedRuntimeDirectory = "/run/deltastore"
    public static let installedStateDirectory = "/var/lib/deltastore"

    /// Computes the defaults from an environment and the running executable's path.
    public init(environment: [String: String], executablePath: String) {
        let fromCheckout = executablePath.split(separator: "/").contains { $0.hasPrefix(".build") }
        self.fromCheckout = fromCheckout
        if let runtime = Self.firstPath(environment["RUNTIME_DIRECTORY"]) {
            socketPath = runtime + "/" + Self.socketFileName
        } else if fromCheckout {
            socketPath = "./run/" + Self.socketFileName
        } else {
            socketPath = Self.installedRuntimeDirectory + "/" + Self.socketFileName
        }
        if let state = Self.firstPath(environment["STATE_DIRECTORY"]) {
            stateDirectory = state
        } else if fromCheckout {
            stateDirectory = "./data"
        } else {
            stateDirectory = Self.installedStateDirectory
        }
    }

    /// systemd passes a colon-separated list when several directories are configured.
    private static func firstPath(_ value: String?) -> String? {
        guard let value, let first = value.split(separator: ":").first, !first.isEmpty else { return nil }
        return String(first)
    }
}
