/// The order of a time-series query: newest first unless asked otherwise.
public enum SortOrder: String, Sendable, CaseIterable {
    case descending = "desc"
    case ascending = "asc"
}
