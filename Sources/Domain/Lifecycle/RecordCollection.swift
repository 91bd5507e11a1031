/// The three collections of market records: what a retention and the
/// per-collection part of `stats` name.
///
/// It exists so that the command line (`--retain ticks=1d`), the stores and the
/// protocol all spell a collection the same way.
public enum RecordCollection: String, CaseIterable, Sendable {
    case ticks
    case quotes
    case chains
}
