/// Which store the daemon runs on, from `--store`:
/// `sqlite:PATH` (or `sqlite` for the default file) or a `mongodb://` /
/// `mongodb+srv://` connection string.
public enum StoreLocation: Sendable, Equatable {
    case sqlite(path: String)
    case mongodb(uri: String)

    /// The SQLite file's name inside the state directory.
    public static let defaultSQLiteFileName = "deltastore.db"

    /// Parses `--store`; `stateDirectory` supplies the default SQLite path.
    public init(parsing text: String?, stateDirectory: String) throws(FieldError) {
        let defaultPath = stateDirectory + "/" + Self.defaultSQLiteFileName
        guard let text, !text.isEmpty, text != "sqlite" else {
            self = .sqlite(path: defaultPath)
            return
        }
        if text.hasPrefix("sqlite:") {
            let path = String(text.dropFirst("sqlite:".count))
            guard !path.isEmpty else { throw FieldError("--store", "sqlite: needs a file path, e.g. sqlite:/var/lib/deltastore/deltastore.db") }
            self = .sqlite(path: path)
        } else if text.hasPrefix("mongodb://") || text.hasPrefix("mongodb+srv://") {
            self = .mongodb(uri: text)
        } else {
            throw FieldError("--store", "must be sqlite:PATH or a mongodb:// connection string")
        }
    }

    public var kind: String {
        switch self {
        case .sqlite: return "sqlite"
        case .mongodb: return "mongodb"
        }
    }

    /// For logs: never the MongoDB URI itself, which may hold a password.
    public var redacted: String {
        switch self {
        case .sqlite(let path): return "sqlite:" + path
        case .mongodb(let uri):
            let scheme = uri.hasPrefix("mongodb+srv://") ? "mongodb+srv://" : "mongodb://"
            let rest = uri.dropFirst(scheme.count)
            let beforeOptions = rest.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? rest
            let parts = beforeOptions.split(separator: "@", maxSplits: 1, omittingEmptySubsequences: false)
            let hosts = parts.count == 2 ? "***@" + parts[1] : String(beforeOptions)
            return scheme + hosts
        }
    }
}
