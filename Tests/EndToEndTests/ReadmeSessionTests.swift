import Foundation
import TestSupport
import XCTest

/// The README's short session, pasted line by line as a newcomer would, after
/// `seed`, against a freshly started daemon on its defaults: every command
/// exits 0, prints something, and prints the same kind of first line the
/// README shows (the same table header, the same kind of value).
final class ReadmeSessionTests: DaemonTestCase {
    /// One `$ ` line of the session and the lines the README shows under it.
    struct Step {
        var command: String
        var shown: [String]
    }

    /// The first ```console block of the README's "A short session" section.
    static func sessionSteps() throws -> [Step] {
        let readme = try String(contentsOf: BuildProducts.repositoryRoot.appendingPathComponent("README.md"), encoding: .utf8)
        guard let section = readme.components(separatedBy: "\n## A short session\n").dropFirst().first?.components(separatedBy: "\n## ").first,
            let block = section.components(separatedBy: "```console\n").dropFirst().first?.components(separatedBy: "\n```").first
        else { throw TestSupportError("README.md has no console block under \"## A short session\"") }
        var steps: [Step] = []
        for line in block.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("$ ") {
                steps.append(Step(command: String(line.dropFirst(2)), shown: []))
            } else if !steps.isEmpty, !line.isEmpty {
                steps[steps.count - 1].shown.append(String(line))
            }
        }
        return steps
    }

    /// The kind of a line: its first word with every digit as 9 (a header stays
    /// itself, `2026-12-10` and `2025-01-30` are both `9999-99-99`).
    static func kind(_ line: String) -> String {
        let first = line.split(separator: " ").first.map(String.init) ?? ""
        return String(first.map { $0.isNumber ? "9" : $0 })
    }

    func testEveryCommandOfTheShortSessionWorksAsShown() throws {
        let steps = try Self.sessionSteps()
        XCTAssertGreaterThanOrEqual(steps.count, 8, "the session has its commands")
        XCTAssertTrue(steps.contains { $0.command.contains("deltastorectl seed") }, "the session seeds the store")
        try startDaemon()

        // One bash runs the whole session (so `EXPIRY=…` carries to the lines
        // after it); each step's output goes to a file of its own and its exit
        // status after it. An assignment's (or export's) "output" is the value it assigned.
        var script = "cd \(shellQuoted(BuildProducts.repositoryRoot.path))\n"
        for (index, step) in steps.enumerated() {
            let output = shellQuoted(directory.file("step\(index).out"))
            if let assigned = step.command.wholeMatch(of: /(?:export )?([A-Z_]+)=.*/)?.1 {
                script += "\(step.command)\necho \"status=$?\" > \(output).status\necho \"$\(assigned)\" > \(output)\n"
            } else {
                script += "{ \(step.command)\n} > \(output) 2>&1\necho \"status=$?\" > \(output).status\n"
            }
        }
        let scriptPath = directory.file("session.sh")
        try script.write(toFile: scriptPath, atomically: true, encoding: .utf8)
        let bash = Process()
        bash.executableURL = URL(fileURLWithPath: "/bin/bash")
        bash.arguments = [scriptPath]
        var environment = ProcessInfo.processInfo.environment
        environment["DELTASTORE_SOCKET"] = socketPath
        environment["PATH"] = BuildProducts.binDirectory.path + ":" + (environment["PATH"] ?? "/usr/bin:/bin")
        bash.environment = environment
        try bash.run()
        bash.waitUntilExit()
        XCTAssertEqual(bash.terminationStatus, 0, "the session script ran to its end")

        for (index, step) in steps.enumerated() {
            let output = directory.file("step\(index).out")
            let status = (try? String(contentsOfFile: output + ".status", encoding: .utf8)) ?? "never ran"
            let printed = ((try? String(contentsOfFile: output, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init)
            XCTAssertEqual(status.trimmingCharacters(in: .whitespacesAndNewlines), "status=0", "`\(step.command)` failed: \(printed.joined(separator: "\n"))")
            XCTAssertFalse(printed.isEmpty, "`\(step.command)` printed nothing")
            if let shownFirst = step.shown.first, let printedFirst = printed.first {
                XCTAssertEqual(Self.kind(printedFirst), Self.kind(shownFirst), "`\(step.command)` printed \"\(printedFirst)\" where the README shows \"\(shownFirst)\"")
            }
            if step.shown.count > 1, step.command.contains("--limit") {
                XCTAssertEqual(printed.count, step.shown.count, "`\(step.command)`: \(printed.joined(separator: "\n"))")
            }
        }
    }

    private func shellQuoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
