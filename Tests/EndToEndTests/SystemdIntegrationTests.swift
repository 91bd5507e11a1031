import BSONCore
import Foundation
import TestSupport
import WireProtocol
import XCTest

/// The daemon as systemd runs it, without systemd as PID 1: socket activation
/// through `systemd-socket-activate`, a test-owned NOTIFY_SOCKET for
/// readiness, status, watchdog and stopping, and JOURNAL_STREAM logging.
final class SystemdIntegrationTests: DaemonTestCase {
    var storeArguments: [String] { ["--store", "sqlite:" + directory.file("sd.db")] }

    func testReadyComesAfterTheStoreIsUpThenStatusAndStopping() throws {
        let notify = try DatagramListener(path: directory.file("notify.sock"))
        let daemon = try startDaemon(arguments: storeArguments, environment: ["NOTIFY_SOCKET": notify.path], waitForListening: false)
        let messages = notify.collect(until: { $0.contains("READY=1") }, timeout: 20)
        XCTAssertTrue(messages.last?.contains("READY=1") ?? false, "no READY=1: \(messages)\n\(daemon.log)")
        XCTAssertTrue(messages.first?.contains("STATUS=opening the store sqlite:") ?? false, "\(messages)")
        XCTAssertTrue(messages.last?.contains("STATUS=serving on \(socketPath)") ?? false, "\(messages)")
        // READY=1 means serving: the store answers at once.
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory.file("sd.db")))
        let health = try roundTrip(RequestBuilder.request(id: 1, op: "health"))
        XCTAssertEqual(health["result"]?.documentValue?["status"], "ok")

        // The status line follows the connection count (it is refreshed every 2 s).
        let connection = try connect()
        let live = notify.collect(until: { $0 == "STATUS=serving 1 connection" }, timeout: 10)
        XCTAssertEqual(live.last, "STATUS=serving 1 connection", "\(live)")
        XCTAssertFalse(live.contains { $0.contains("READY=1") }, "READY=1 is sent once")

        daemon.signal(SIGTERM)
        let stopping = notify.collect(until: { $0.contains("STOPPING=1") }, timeout: 10)
        XCTAssertTrue(stopping.last?.hasPrefix("STOPPING=1\nSTATUS=stopping: draining 1 connection") ?? false, "\(stopping)")
        XCTAssertEqual(daemon.waitForExit(), 0)
        connection.close()
    }

    func testSighupReloadsBetweenReloadingAndReady() throws {
        let notify = try DatagramListener(path: directory.file("notify.sock"))
        let daemon = try startDaemon(arguments: storeArguments, environment: ["NOTIFY_SOCKET": notify.path], waitForListening: false)
        _ = notify.collect(until: { $0.contains("READY=1") }, timeout: 20)
        let held = try connect()
        defer { held.close() }
        daemon.signal(SIGHUP)
        let reload = notify.collect(until: { $0.contains("READY=1") }, timeout: 10)
        let reloading = reload.firstIndex { $0.hasPrefix("RELOADING=1\nMONOTONIC_USEC=") }
        XCTAssertNotNil(reloading, "\(reload)")
        XCTAssertTrue(reload.last?.hasPrefix("READY=1\nSTATUS=serving on") ?? false, "READY=1 follows the reload: \(reload)")
        XCTAssertTrue(reload[reloading ?? 0].contains("STATUS=reloading access rules"), "\(reload)")
        try held.send(RequestBuilder.ping(id: 1))
        XCTAssertEqual(try held.receiveDocument()?["ok"], .bool(true), "the reload drops no connection")
        XCTAssertTrue(daemon.process.isRunning)
    }

    func testWatchdogKeepAlivesAtHalfTheInterval() throws {
        let notify = try DatagramListener(path: directory.file("notify.sock"))
        let daemon = try startDaemon(arguments: storeArguments, environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "400000"], waitForListening: false)
        _ = notify.collect(until: { $0.contains("READY=1") }, timeout: 20)
        var keepAlives: [Date] = []
        let end = Date().addingTimeInterval(2)
        while Date() < end {
            if let text = notify.receiveText(timeout: end.timeIntervalSinceNow), text == "WATCHDOG=1" { keepAlives.append(Date()) }
        }
        // 400 ms watchdog → a keep-alive every 200 ms: about 10 in 2 s.
        XCTAssertTrue((7...13).contains(keepAlives.count), "\(keepAlives.count) keep-alives in 2 s\n\(daemon.log)")
        let gaps = zip(keepAlives.dropFirst(), keepAlives).map { $0.timeIntervalSince($1) }
        XCTAssertLessThan(gaps.max() ?? 1, 0.4, "never a gap as long as the watchdog interval: \(gaps)")
        XCTAssertTrue(daemon.log.contains("watchdog enabled"))
    }

    /// With systemd's watchdog on (WatchdogSec=30s: a keep-alive every 15 s),
    /// SIGTERM still starts the drain at once: no service of the group sleeps
    /// through the shutdown while the server waits behind it.
    func testStopIsPromptWithTheWatchdogOn() throws {
        let notify = try DatagramListener(path: directory.file("notify.sock"))
        let daemon = try startDaemon(arguments: storeArguments, environment: ["NOTIFY_SOCKET": notify.path, "WATCHDOG_USEC": "30000000"], waitForListening: false)
        _ = notify.collect(until: { $0.contains("READY=1") }, timeout: 20)
        usleep(300_000)
        let started = Date()
        daemon.signal(SIGTERM)
        XCTAssertEqual(daemon.waitForExit(timeout: 20), 0, daemon.log)
        XCTAssertLessThan(Date().timeIntervalSince(started), 3, "SIGTERM to exit with nothing in flight\n\(daemon.log)")
    }

    /// A SIGABRT from another process (systemd's watchdog, `kill -ABRT`) ends
    /// the daemon once the Swift runtime has printed its backtrace, instead of
    /// the runtime's handler returning and the daemon carrying on.
    func testAnAbortFromOutsideEndsTheDaemonAfterItsBacktrace() throws {
        let daemon = try startDaemon(
            arguments: storeArguments,
            environment: ["SWIFT_BACKTRACE": "enable=yes,interactive=no,color=no,threads=crashed,registers=none,images=none,symbolicate=off"]
        )
        daemon.signal(SIGABRT)
        XCTAssertNotNil(daemon.waitForExit(timeout: 30), "still running 30 s after SIGABRT:\n\(daemon.log)")
        XCTAssertEqual(daemon.process.terminationReason, .uncaughtSignal, daemon.log)
        XCTAssertEqual(daemon.process.terminationStatus, SIGABRT, daemon.log)
        XCTAssertTrue(daemon.log.contains("Program crashed"), "the runtime's backtrace comes first:\n\(daemon.log)")
    }

    /// The lines of a start and a reload say what happened in their text, for
    /// an operator reading `journalctl -u deltastore` (the fields stay for filters).
    func testStartAndReloadLinesStateTheirFacts() throws {
        let path = directory.file("facts.db")
        let daemon = try startDaemon(arguments: ["--store", "sqlite:" + path])
        daemon.signal(SIGHUP)
        let deadline = Date().addingTimeInterval(10)
        while !daemon.log.contains("reloaded jwt keys") && Date() < deadline { usleep(50_000) }
        daemon.stop()
        let log = daemon.log
        let expected = [
            "deltastored \(ProtocolVersion.serverVersion) starting (pid \(daemon.process.processIdentifier))",
            // One line for the migrations a fresh file gets at once.
            "applied SQLite schema migrations 0 → ",
            " (ticks, quotes, chains, products, expiries; users, sessions; ",
            ") to \(path)",
            "store open: sqlite \(path)",
            "access rules: defaults (no rules file): uid \(getuid())",
            "; anyone else public only",
            "auth ready: tokens signed with k",
            "loaded 1 signing key from state directory key file ",
            "SIGHUP: reloading access rules and jwt keys",
            "reloaded access rules: defaults (no rules file): ",
            "reloaded jwt keys: 1 key, signing with k",
        ]
        for text in expected {
            XCTAssertTrue(log.contains(text), "missing '\(text)' in:\n\(log)")
        }
    }

    func testSocketActivationServesOnTheInheritedSocketAndLeavesItInPlace() throws {
        let notify = try DatagramListener(path: directory.file("notify.sock"))
        let activator = Process()
        activator.executableURL = URL(fileURLWithPath: "/usr/bin/systemd-socket-activate")
        let daemonBinary = try BuildProducts.executable("deltastored").path
        activator.arguments = ["-l", socketPath, "--fdname=deltastore.socket", "-E", "NOTIFY_SOCKET=\(notify.path)", daemonBinary] + storeArguments
        // The daemon's state directory (keys, cursor key) is relative: in the test's directory, never the checkout.
        activator.currentDirectoryURL = URL(fileURLWithPath: directory.path)
        let log = directory.file("activate.log")
        FileManager.default.createFile(atPath: log, contents: nil)
        activator.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        try activator.run()
        defer { if activator.isRunning { kill(activator.processIdentifier, SIGKILL) } }

        // The socket exists before the daemon runs; the first connection starts it.
        // systemd-socket-activate binds (the file appears) a moment before it
        // listens: until then a connect is refused, so the first one is retried.
        let deadline = Date().addingTimeInterval(10)
        var firstPong: BSONDocument?
        while firstPong == nil {
            do {
                firstPong = try roundTrip(RequestBuilder.ping(id: 1))
            } catch {
                if Date() > deadline { throw error }
                usleep(20_000)
            }
        }
        let pong = try XCTUnwrap(firstPong)
        XCTAssertEqual(pong["ok"], .bool(true))
        let ready = notify.collect(until: { $0.contains("READY=1") }, timeout: 20)
        XCTAssertTrue(ready.last?.contains("STATUS=serving on inherited socket deltastore.socket") ?? false, "\(ready)")
        XCTAssertEqual(try roundTrip(RequestBuilder.ping(id: 2))["ok"], .bool(true))

        // systemd-socket-activate exec'd the daemon: same process.
        kill(activator.processIdentifier, SIGTERM)
        activator.waitUntilExit()
        XCTAssertEqual(activator.terminationStatus, 0, (try? String(contentsOfFile: log, encoding: .utf8)) ?? "")
        XCTAssertTrue(FileManager.default.fileExists(atPath: socketPath), "the socket belongs to systemd: the daemon must not unlink it")
        let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
        XCTAssertTrue(text.contains("serving on inherited socket"), text)
    }

    func testJournalStreamGivesPriorityPrefixedLinesWithFields() throws {
        // stderr goes to the daemon's log file; JOURNAL_STREAM names that file.
        let logPath = directory.path + "/journal-stream.log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        var info = stat()
        XCTAssertEqual(stat(logPath, &info), 0)
        if FileManager.default.fileExists(atPath: "/run/systemd/journal/socket") {
            throw XCTSkip("a journald runs on this machine: the daemon would log natively; see testNativeJournalEntriesCarryFields")
        }
        let daemon = try DaemonProcess(
            socketPath: socketPath, arguments: storeArguments + ["--log-level", "debug"], workingDirectory: directory.path,
            environment: ["JOURNAL_STREAM": "\(info.st_dev):\(info.st_ino)"], logPath: logPath
        )
        defer { daemon.stop() }
        try daemon.waitUntilListening()
        _ = try roundTrip(RequestBuilder.request(id: 9, op: "no.such.op"))
        daemon.stop()
        let lines = daemon.log.split(separator: "\n")
        XCTAssertFalse(lines.isEmpty)
        XCTAssertTrue(lines.allSatisfy { $0.first == "<" && $0.dropFirst().first.map { "234567".contains($0) } == true }, "every line has a priority prefix:\n\(daemon.log)")
        let failed = lines.first { $0.contains("request failed") }
        XCTAssertNotNil(failed, daemon.log)
        XCTAssertTrue(failed?.hasPrefix("<6>request failed") ?? false, "\(failed ?? "")")
        XCTAssertTrue(failed?.contains("code=UNKNOWN_OP") ?? false)
        XCTAssertTrue(failed?.contains("op=no.such.op") ?? false)
        XCTAssertTrue(failed?.contains("peer_uid=\(getuid())") ?? false)
        XCTAssertTrue(lines.contains { $0.hasPrefix("<7>connection opened") }, "debug lines are priority 7")
    }

    func testNativeJournalEntriesCarryFields() throws {
        let journalDirectory = "/run/systemd/journal"
        let journalSocket = journalDirectory + "/socket"
        if FileManager.default.fileExists(atPath: journalSocket) {
            throw XCTSkip("a journald already owns \(journalSocket); not replacing it")
        }
        guard getuid() == 0 else { throw XCTSkip("standing in for journald needs root to create \(journalSocket)") }
        try FileManager.default.createDirectory(atPath: journalDirectory, withIntermediateDirectories: true)
        let journal = try DatagramListener(path: journalSocket)
        defer { _ = journal }

        let logPath = directory.path + "/native.log"
        FileManager.default.createFile(atPath: logPath, contents: nil)
        var info = stat()
        XCTAssertEqual(stat(logPath, &info), 0)
        // Read the journal from before the daemon starts, as journald does: a
        // Unix datagram socket queues only a few entries (max_dgram_qlen, 10
        // here), and a writer blocks on a full queue.
        let received = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var datagrams: [String] = []
        DispatchQueue.global().async {
            let deadline = Date().addingTimeInterval(30)
            while Date() < deadline, let datagram = journal.receiveText(timeout: deadline.timeIntervalSinceNow) {
                datagrams.append(datagram)
                if datagram.contains("MESSAGE=request failed") { break }
            }
            received.signal()
        }
        let daemon = try DaemonProcess(
            socketPath: socketPath, arguments: storeArguments, workingDirectory: directory.path,
            environment: ["JOURNAL_STREAM": "\(info.st_dev):\(info.st_ino)"], logPath: logPath
        )
        defer { daemon.stop() }
        try daemon.waitUntilListening()
        _ = try roundTrip(RequestBuilder.request(id: 9, op: "no.such.op"))
        XCTAssertEqual(received.wait(timeout: .now() + 30), .success)
        var entries: [[String: String]] = []
        for datagram in datagrams {
            var fields: [String: String] = [:]
            for line in datagram.split(separator: "\n") {
                let parts = line.split(separator: "=", maxSplits: 1)
                if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
            }
            entries.append(fields)
            if fields["MESSAGE"]?.hasPrefix("request failed") == true { break }
        }
        let failed = entries.first { $0["MESSAGE"]?.hasPrefix("request failed") == true }
        XCTAssertNotNil(failed, "entries: \(entries)")
        // The message stands alone; the fields stay for filtering.
        XCTAssertTrue(failed?["MESSAGE"]?.hasPrefix("request failed: no.such.op UNKNOWN_OP (conn ") ?? false, "\(failed ?? [:])")
        XCTAssertTrue(failed?["MESSAGE"]?.hasSuffix(", uid \(getuid()))") ?? false, "\(failed ?? [:])")
        XCTAssertEqual(failed?["PRIORITY"], "6")
        XCTAssertEqual(failed?["CODE"], "UNKNOWN_OP")
        XCTAssertEqual(failed?["OP"], "no.such.op")
        XCTAssertEqual(failed?["PEER_UID"], "\(getuid())")
        XCTAssertEqual(failed?["SYSLOG_IDENTIFIER"], "deltastored")
        XCTAssertEqual(daemon.log, "", "with a journal, nothing is written to stderr")
    }
}
