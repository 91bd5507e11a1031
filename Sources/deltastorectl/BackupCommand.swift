import ArgumentParser
import BSONCore
import DeltaStoreClient
import Foundation

/// `deltastorectl backup [NAME]`: asks the daemon for an online backup of its
/// SQLite store and prints where it went; on a terminal, draws the copy's
/// progress (read from `stats` on a second connection) on stderr meanwhile.
struct BackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "backup",
        abstract: "Write a consistent backup of the SQLite store into the daemon's backup directory while it serves (admin).",
        discussion: "The file is NAME.db in the directory given by the daemon's --backup-dir (default: backups/ in its state directory). A backup is a store: deltastored --store sqlite:FILE serves it; deltastorectl verify-backup FILE checks it."
    )

    @OptionGroup var connection: ConnectionOptions

    @Argument(help: "The backup's name: 1 to 64 of A-Z a-z 0-9 . _ - (default: the UTC time).")
    var name: String?

    @Flag(name: .long, help: "Print the raw result as extended JSON.")
    var json = false

    @Flag(name: .long, help: "No progress bar, even on a terminal.")
    var quiet = false

    func run() async throws {
        let client = try await connection.connect()
        defer { Task { await client.close() } }
        var args = BSONDocument()
        if let name { args = args.appending("name", .string(name)) }
        let progress = (!quiet && isatty(STDERR_FILENO) == 1) ? Task { await ProgressBar.follow(connection) } : nil
        let result: BSONDocument
        do {
            result = try await client.call("backup", args)
            progress?.cancel()
            await progress?.value
        } catch {
            progress?.cancel()
            await progress?.value
            throw Output.fail(error)
        }
        if json {
            Output.line(Output.pretty(result.relaxedExtendedJSON))
            return
        }
        Output.line("backup written: \(Cell.text(result["path"])), \(ByteCount.text(result["bytes"]?.integerValue ?? 0))")
        let records = (result["records"]?.documentValue ?? BSONDocument()).elements.map { "\(Cell.text($0.value)) \($0.key)" }
        Output.line("records: " + records.joined(separator: ", "))
    }
}

/// The progress bar of `backup`: polls `stats` for `store.backup` and
/// redraws one line on stderr until cancelled, then clears it.
enum ProgressBar {
    static let width = 30

    static func follow(_ options: ConnectionOptions) async {
        guard let client = try? await DeltaStoreConnection.connect(socketPath: options.socketPath) else { return }
        defer { Task { await client.close() } }
        var drawn = false
        while !Task.isCancelled {
            if let stats = try? await client.call("stats"), let backup = stats["store"]?.documentValue?["backup"]?.documentValue,
               let done = backup["pages_done"]?.integerValue, let total = backup["pages_total"]?.integerValue, total > 0 {
                Output.error(line(done: done, total: total), newline: false)
                drawn = true
            }
            try? await Task.sleep(for: .milliseconds(250))
        }
        if drawn { Output.error("\r\u{1B}[K", newline: false) }
    }

    /// `\r[#########.....................]  30%  812/2700 pages`
    static func line(done: Int64, total: Int64) -> String {
        let fraction = total > 0 ? min(1, max(0, Double(done) / Double(total))) : 0
        let filled = Int((fraction * Double(width)).rounded(.down))
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        return "\r[\(bar)] \(String(format: "%3d", Int(fraction * 100)))%  \(done)/\(total) pages"
    }
}
