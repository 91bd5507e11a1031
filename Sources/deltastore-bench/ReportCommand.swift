import ArgumentParser
import Foundation

/// `deltastore-bench report`: reads the JSON lines of a `bench/run` (the k-th
/// line of a label belongs to round k), and writes the table: the median
/// figures of every case, then every target as the median over rounds of the
/// ratio measured within each round, with pass or fail.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Turn bench/run's JSON lines into the Markdown table of figures, ratios and targets."
    )

    @Option(help: "File of JSON lines written by the benchmark subcommands.") var results: String
    @Option(help: "Write the Markdown table here (and print it).") var output: String?
    @Option(help: "A line for the header (repeatable): date, machine, load.") var note: [String] = []

    struct Row {
        var label: String
        var what: String
    }

    /// The cases in the order of the figures table, with a description.
    static let cases: [(String, String)] = [
        ("cecho.c1p1", "C epoll echo (the transport's limit), ping, C=1 P=1"),
        ("echo.c1p1", "SwiftNIO echo server, ping, C=1 P=1"),
        ("redis.ping.c1p1", "Redis PING, C=1 P=1"),
        ("ping.c1p1", "deltastored ping, C=1 P=1"),
        ("cecho.c50p1", "C epoll echo, ping, C=50 P=1"),
        ("echo.c50p1", "SwiftNIO echo server, ping, C=50 P=1"),
        ("redis.ping.c50p1", "Redis PING, C=50 P=1"),
        ("ping.c50p1", "deltastored ping, C=50 P=1"),
        ("cecho.c50p16", "C epoll echo, ping, C=50 P=16"),
        ("echo.c50p16", "SwiftNIO echo server, ping, C=50 P=16"),
        ("redis.ping.c50p16", "Redis PING, C=50 P=16"),
        ("ping.c50p16", "deltastored ping, C=50 P=16"),
        ("redis.get.c50p1", "Redis GET of a 200-byte value, C=50 P=1"),
        ("verify.c50p1", "deltastored auth.verify, one token repeated (verified-token cache), C=50 P=1"),
        ("redis.get.c50p16", "Redis GET of a 200-byte value, C=50 P=16"),
        ("verify.c50p16", "deltastored auth.verify, one token repeated (verified-token cache), C=50 P=16"),
        ("insert.store", "in-process ticks insert, batches of 1,000, 2 callers"),
        ("insert.daemon", "deltastored ticks.insert, batches of 1,000, C=2 P=1"),
        ("latest.store", "in-process ticks query, latest 100, 50 callers"),
        ("latest.daemon", "deltastored ticks.query, latest 100, C=50 P=1"),
        ("range.store", "in-process ticks query, 1-minute range, 50 callers"),
        ("range.daemon", "deltastored ticks.query, 1-minute range, C=50 P=1"),
        ("verify.uncached", "in-process token check without the cache, distinct tokens, one caller per core"),
        ("bcrypt", "bcrypt anchor: cores ÷ seconds per hash"),
        ("login.daemon", "deltastored auth.login, C=8 P=1"),
        ("idle.probe", "ping probe (paced), daemon idle"),
        ("login.probe", "ping probe (paced), during auth.login"),
        ("load1000", "deltastored ticks.query latest 100, C=1000 P=1 (memory case)"),
    ]

    enum Comparison { case atLeast, atMost }

    /// How a target's two figures are combined within a round.
    enum Combination { case ratio, difference }

    struct Target {
        var name: String
        var numerator: (label: String, metric: String)
        var denominator: (label: String, metric: String)?
        var bound: Double
        var comparison: Comparison
        var unit: String = ""
        var combination: Combination = .ratio
    }

    static let targets: [Target] = [
        Target(name: "ping C=50,P=1 ÷ Redis PING", numerator: ("ping.c50p1", "requests_per_s"), denominator: ("redis.ping.c50p1", "requests_per_s"), bound: 0.8, comparison: .atLeast),
        Target(name: "ping C=50,P=16 ÷ Redis PING", numerator: ("ping.c50p16", "requests_per_s"), denominator: ("redis.ping.c50p16", "requests_per_s"), bound: 0.5, comparison: .atLeast),
        Target(name: "auth.verify (cached) C=50,P=1 ÷ Redis GET", numerator: ("verify.c50p1", "requests_per_s"), denominator: ("redis.get.c50p1", "requests_per_s"), bound: 0.8, comparison: .atLeast),
        Target(name: "auth.verify (cached) C=50,P=16 ÷ Redis GET", numerator: ("verify.c50p16", "requests_per_s"), denominator: ("redis.get.c50p16", "requests_per_s"), bound: 0.4, comparison: .atLeast),
        Target(name: "ping C=1,P=1 p50 − Redis PING p50", numerator: ("ping.c1p1", "p50_us"), denominator: ("redis.ping.c1p1", "p50_us"), bound: 10, comparison: .atMost, unit: " µs", combination: .difference),
        Target(name: "load generator headroom: C echo ÷ deltastored ping, C=50,P=16 (no target)", numerator: ("cecho.c50p16", "requests_per_s"), denominator: ("ping.c50p16", "requests_per_s"), bound: 0, comparison: .atLeast),
        Target(name: "ping C=50,P=1 ÷ SwiftNIO echo (no target)", numerator: ("ping.c50p1", "requests_per_s"), denominator: ("echo.c50p1", "requests_per_s"), bound: 0, comparison: .atLeast),
        Target(name: "ping C=50,P=16 ÷ SwiftNIO echo (no target)", numerator: ("ping.c50p16", "requests_per_s"), denominator: ("echo.c50p16", "requests_per_s"), bound: 0, comparison: .atLeast),
        Target(name: "ping C=50,P=16 ÷ C echo (no target)", numerator: ("ping.c50p16", "requests_per_s"), denominator: ("cecho.c50p16", "requests_per_s"), bound: 0, comparison: .atLeast),
        Target(name: "heap allocations per ping (inline path; counted)", numerator: ("alloc.ping", "allocs_per_request"), denominator: nil, bound: 0.01, comparison: .atMost),
        Target(name: "heap allocations per hello (inline path; counted)", numerator: ("alloc.hello", "allocs_per_request"), denominator: nil, bound: 0.01, comparison: .atMost),
        Target(name: "heap allocations per cached auth.verify (inline path; counted)", numerator: ("alloc.auth.verify", "allocs_per_request"), denominator: nil, bound: 0.01, comparison: .atMost),
        Target(name: "ticks.insert rows/s ÷ in-process", numerator: ("insert.daemon", "rows_per_s"), denominator: ("insert.store", "rows_per_s"), bound: 0.8, comparison: .atLeast),
        Target(name: "ticks.query latest 100 ÷ in-process", numerator: ("latest.daemon", "requests_per_s"), denominator: ("latest.store", "requests_per_s"), bound: 0.7, comparison: .atLeast),
        Target(name: "ticks.query 1-min range ÷ in-process (no target)", numerator: ("range.daemon", "requests_per_s"), denominator: ("range.store", "requests_per_s"), bound: 0, comparison: .atLeast),
        Target(name: "auth.verify ÷ ping, C=50,P=1", numerator: ("verify.c50p1", "requests_per_s"), denominator: ("ping.c50p1", "requests_per_s"), bound: 0.7, comparison: .atLeast),
        Target(name: "auth.login ÷ (cores ÷ bcrypt s/hash)", numerator: ("login.daemon", "requests_per_s"), denominator: ("bcrypt", "requests_per_s"), bound: 0.8, comparison: .atLeast),
        Target(name: "ping p99 during logins ÷ idle ping p99", numerator: ("login.probe", "p99_us"), denominator: ("idle.probe", "p99_us"), bound: 3, comparison: .atMost),
        Target(name: "RSS idle", numerator: ("rss.idle", "rss_mib"), denominator: nil, bound: 64, comparison: .atMost, unit: " MiB"),
        Target(name: "RSS, 1,000 connections under load", numerator: ("rss.load", "rss_mib"), denominator: nil, bound: 256, comparison: .atMost, unit: " MiB"),
        Target(name: "READY=1 after exec (SQLite)", numerator: ("ready", "ready_ms"), denominator: nil, bound: 300, comparison: .atMost, unit: " ms"),
    ]

    func run() throws {
        let text = try String(contentsOfFile: results, encoding: .utf8)
        var byLabel: [String: [[String: Any]]] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("{") {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any],
                  let label = object["label"] as? String
            else { continue }
            byLabel[label, default: []].append(object)
        }
        func values(_ label: String, _ metric: String) -> [Double?] {
            (byLabel[label] ?? []).map { ($0[metric] as? NSNumber)?.doubleValue }
        }

        var out: [String] = []
        for note in note { out.append(note + "  ") }
        out.append("")
        out.append("| case | runs | requests/s | rows/s | p50 | p99 | p99.9 |")
        out.append("|---|---:|---:|---:|---:|---:|---:|")
        for (label, what) in Self.cases {
            guard let lines = byLabel[label], !lines.isEmpty else { continue }
            func cell(_ metric: String, _ format: (Double) -> String) -> String {
                median(values(label, metric).compactMap { $0 }).map(format) ?? "—"
            }
            let rows = label.hasPrefix("insert") ? cell("rows_per_s", Format.rate) : "—"
            let latency = label == "bcrypt"
                ? (cell("seconds_per_hash") { String(format: "%.3f s/hash", $0) }, "—", "—")
                : (cell("p50_us", Format.micros), cell("p99_us", Format.micros), cell("p999_us", Format.micros))
            let errors = values(label, "errors").compactMap { $0 }.reduce(0, +)
            let flag = errors > 0 ? " (\(Int(errors)) errors)" : ""
            out.append("| \(what) `\(label)`\(flag) | \(lines.count) | \(cell("requests_per_s", Format.rate)) | \(rows) | \(latency.0) | \(latency.1) | \(latency.2) |")
        }
        out.append("")
        out.append("| target | measured (median of per-round ratios) | required | |")
        out.append("|---|---:|---:|---|")
        var failures = 0
        for target in Self.targets {
            let numerators = values(target.numerator.label, target.numerator.metric)
            var measured: Double?
            if let denominator = target.denominator {
                let denominators = values(denominator.label, denominator.metric)
                let ratios = zip(numerators, denominators).compactMap { n, d -> Double? in
                    guard let n, let d else { return nil }
                    switch target.combination {
                    case .ratio: return d > 0 ? n / d : nil
                    case .difference: return n - d
                    }
                }
                measured = median(ratios)
            } else {
                measured = median(numerators.compactMap { $0 })
            }
            let informational = target.bound == 0
            let perUnit = target.denominator == nil || target.combination == .difference
            let required = informational ? "—" : "\(target.comparison == .atLeast ? "≥" : "≤") \(Self.number(target.bound))\(perUnit ? target.unit : " ×")"
            let shown = measured.map { perUnit ? Self.number($0) + target.unit : String(format: "%.2f ×", $0) } ?? "no data"
            let verdict: String
            if informational {
                verdict = ""
            } else if let measured {
                let met = target.comparison == .atLeast ? measured >= target.bound : measured <= target.bound
                verdict = met ? "met" : "**NOT MET**"
                if !met { failures += 1 }
            } else {
                verdict = "**NO DATA**"
                failures += 1
            }
            out.append("| \(target.name) | \(shown) | \(required) | \(verdict) |")
        }
        out.append("")
        let markdown = out.joined(separator: "\n") + "\n"
        print(markdown, terminator: "")
        if let output { try markdown.write(toFile: output, atomically: true, encoding: .utf8) }
        FileHandle.standardError.write(Data("\(Self.targets.filter { $0.bound != 0 }.count - failures) of \(Self.targets.filter { $0.bound != 0 }.count) targets met\n".utf8))
    }

    func median(_ values: [Double]) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let middle = sorted.count / 2
        return sorted.count % 2 == 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2
    }

    static func number(_ value: Double) -> String {
        if value == value.rounded() { return String(Int(value)) }
        if abs(value) < 0.1 { return String(format: "%.3f", value) }
        if abs(value) >= 10 || value * 10 == (value * 10).rounded() { return String(format: "%.1f", value) }
        return String(format: "%.2f", value)
    }
}
