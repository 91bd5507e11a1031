import CMongoC

/// Facts about the libmongoc this build links, for `deltastored --version`.
public enum MongoCLibrary {
    /// The linked libmongoc version, e.g. "1.23.1".
    public static var version: String { String(cString: mongoc_get_version()) }
}
