import Domain

/// `backup` on SQLite: the online backup API on the store's own backup
/// thread (`BackupWriter`), one backup at a time.
extension SQLiteMarketStore: BackupStore {
    public func backup(directory: String, name: String, progress: @escaping @Sendable (BackupProgress) -> Void) async throws -> BackupOutcome {
        let started = backupRunning.withLockedValue { running in
            defer { running = true }
            return !running
        }
        guard started else { throw StoreError.conflict("a backup is already running; try again when it has finished") }
        defer { backupRunning.withLockedValue { $0 = false } }
        let path = self.path
        let watch = executor.watch
        do {
            return try await backupThreads.runIfActive {
                if let failure = watch.check() { throw StoreFileWatch.refusal(failure) }
                return try BackupWriter.write(source: path, directory: directory, name: name, progress: progress)
            }
        } catch {
            throw executor.map(error)
        }
    }
}
