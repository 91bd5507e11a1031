import Foundation
import Logging

/// Log records kept in memory, for tests that check what is logged.
public final class LogRecords: @unchecked Sendable {
    public struct Record: Sendable {
        public var level: Logger.Level
        public var message: String
        public var metadata: Logger.Metadata
    }

    private let lock = NSLock()
    private var stored: [Record] = []

    public init() {}

    public func append(_ record: Record) {
        lock.lock(); defer { lock.unlock() }
        stored.append(record)
    }

    public var all: [Record] {
        lock.lock(); defer { lock.unlock() }
        return stored
    }
}

/// A log handler that appends every record to `records`.
public struct CapturingLogHandler: LogHandler {
    public let records: LogRecords
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .trace

    public init(records: LogRecords) {
        self.records = records
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        records.append(.init(level: event.level, message: event.message.description, metadata: metadata.merging(event.metadata ?? [:]) { $1 }))
    }
}
