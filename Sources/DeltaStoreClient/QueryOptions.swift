/// The order of a query's records by `timestamp` (ties by insertion order).
public enum QueryOrder: String, Sendable {
    /// Newest first (the default).
    case descending = "desc"
    /// Oldest first.
    case ascending = "asc"
}

/// An option's type, as quotes carry it.
public enum OptionType: String, Sendable {
    case call = "CALL"
    case put = "PUT"
}
