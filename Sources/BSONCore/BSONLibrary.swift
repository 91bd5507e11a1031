import CBSON

/// Facts about the linked libbson.
public enum BSONLibrary {
    /// The linked libbson version, e.g. "1.23.1".
    public static var version: String { String(cString: bson_get_version()) }
}
