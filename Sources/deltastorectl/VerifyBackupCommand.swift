import ArgumentParser
import Foundation
import SQLiteStore

/// `deltastorectl verify-backup FILE`: checks a backup file without a daemon.
/// Opens it read-only, runs `PRAGMA integrity_check` and counts the records.
/// Exit status 0 when it is intact, 1 when it is damaged or not a store.
struct VerifyBackupCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-backup",
        abstract: "Check a backup file (or a stopped store) without a running daemon: integrity check and record counts."
    )

    @Argument(help: "The backup file.")
    var file: String

    @Flag(name: .long, help: "Print the report as JSON.")
    var json = false

    func run() async throws {
        let report: BackupFile.Report
        do {
            report = try BackupFile.verify(path: file)
        } catch {
            Output.error("deltastorectl: \(error)")
            throw ExitCode.failure
        }
        if json {
            let counts = report.records.map { "\"\($0.kind)\": \($0.count)" }.joined(separator: ", ")
            let problems = report.problems.map(Self.jsonString)
            Output.line("{\"path\": \(Self.jsonString(report.path)), \"intact\": \(report.isIntact), \"bytes\": \(report.bytes), \"schema_version\": \(report.schemaVersion), \"records\": {\(counts)}, \"problems\": [\(problems.joined(separator: ", "))]}")
        } else if report.isIntact {
            Output.line("\(report.path): integrity_check ok, schema version \(report.schemaVersion), \(ByteCount.text(report.bytes))")
            Output.line("records: " + report.records.map { "\($0.count) \($0.kind)" }.joined(separator: ", "))
        } else {
            Output.error("\(report.path): damaged (PRAGMA integrity_check):")
            for problem in report.problems { Output.error("  \(problem)") }
        }
        if !report.isIntact { throw ExitCode.failure }
    }

    /// `text` as a JSON string, every character that needs it escaped (a path may hold `"`, `\` or control characters).
    static func jsonString(_ text: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: text, options: [.fragmentsAllowed, .withoutEscapingSlashes])) ?? Data("\"\"".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
