import BSONCore
import Domain
import Logging
import WireProtocol

/// `backup`, and the message for a store without it.
public enum LifecycleOperations {
    static let backupDescriptor = OperationDescriptor(
        name: "backup", group: .admin,
        summary: "Writes a consistent snapshot of the SQLite store into the backup directory while requests go on: a temporary file, checked with PRAGMA integrity_check, renamed into place (mode 0600) when complete. The file is a store: deltastored --store sqlite:FILE serves it. One backup at a time. Not offered on MongoDB (use mongodump).",
        arguments: [.init("name", "string", "The file's name without .db: 1 to 64 of A-Z a-z 0-9 . _ - (not starting with '.'). Default: the UTC time, e.g. 20261203T124501.123Z.")],
        result: "{path: string, bytes: int64, records: {ticks, quotes, chains, users, sessions: int64}}",
        errors: [.conflict]
    )

    /// What `backup` answers on a store that has none (UNKNOWN_OP: it is not
    /// in `hello.ops` there), naming the tool to use instead.
    public static let mongoBackupMessage =
        "backup is not offered on the MongoDB store: back MongoDB up with its own tools, e.g. mongodump --uri=… (or a file-system snapshot of the deployment)"

    /// The operations for `lifecycle`'s store: `backup` where it can back up.
    public static func all(_ lifecycle: DataLifecycle) -> [Operation] {
        guard let backups = lifecycle.backups else { return [] }
        return [backup(lifecycle, backups)]
    }

    /// The operations a store lacks, with the message `UNKNOWN_OP` gives for each.
    public static func absent(_ lifecycle: DataLifecycle) -> [String: String] {
        lifecycle.backups == nil ? ["backup": mongoBackupMessage] : [:]
    }

    /// `backup`'s arguments: the validated `name`, nil when none was given.
    static func parseName(_ arguments: Arguments) throws -> String? {
        guard let text = try arguments.string("name", maxBytes: 4096) else { return nil }
        return try BackupName.validate(text)
    }

    static func backup(_ lifecycle: DataLifecycle, _ backups: any BackupStore) -> Operation {
        Operation(backupDescriptor) { arguments, context in
            let name = try parseName(arguments) ?? BackupName.timestamp(milliseconds: BackupName.nowMilliseconds())
            let directory = lifecycle.backupDirectory
            let logger = context.logger
            return AsyncWork.run(context) {
                if let running = lifecycle.beginBackup(name) {
                    throw StoreError.conflict("a backup is already running (\(running)); try again when it has finished")
                }
                defer { lifecycle.backupEnded() }
                logger.info("backup \(name) started into \(directory)", metadata: ["name": "\(name)", "directory": "\(directory)"])
                let outcome: BackupOutcome
                do {
                    outcome = try await backups.backup(directory: directory, name: name) { progress in
                        lifecycle.backupProgressed(progress)
                    }
                } catch {
                    // A name taken or a backup running is the client's to fix; anything else is the operator's.
                    let level: Logger.Level = (error as? StoreError).map { if case .conflict = $0 { return .notice } else { return .error } } ?? .error
                    logger.log(level: level, "backup \(name) failed: \(error)", metadata: ["name": "\(name)", "error": "\(error)"])
                    throw error
                }
                let counts = outcome.records.map { "\($0.count) \($0.kind)" }.joined(separator: ", ")
                logger.info(
                    "backup \(name) written: \(outcome.path), \(outcome.bytes) bytes (\(counts)), integrity_check ok",
                    metadata: ["name": "\(name)", "path": "\(outcome.path)", "bytes": "\(outcome.bytes)"]
                )
                return [
                    "path": .string(outcome.path),
                    "bytes": .int64(outcome.bytes),
                    "records": .document(BSONDocument(outcome.records.map { ($0.kind, BSONValue.int64($0.count)) })),
                ]
            }
        }
    }
}
