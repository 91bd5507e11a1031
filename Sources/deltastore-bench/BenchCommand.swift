import ArgumentParser
import Foundation

/// `deltastore-bench`: the tools of `bench/run`. Every subcommand prints a
/// readable summary and one JSON line (prefixed `{"bench":`) that the
/// `report` subcommand reads back; figures are only ever compared as ratios
/// against an anchor measured in the same run.
@main
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deltastore-bench",
        abstract: "Load generator and anchors for benchmarking deltastored (see bench/run).",
        subcommands: [
            LoadCommand.self, EchoServerCommand.self, StoreCommand.self, BcryptCommand.self, TokenCheckCommand.self,
            SeedCommand.self, ReadyCommand.self, ReportCommand.self, TemplateCommand.self,
        ]
    )
}

/// One machine-readable result line.
struct JSONLine {
    private var fields: [(String, String)] = []

    init(bench: String, label: String?) {
        add("bench", bench)
        if let label { add("label", label) }
    }

    mutating func add(_ key: String, _ value: String) {
        fields.append((key, Self.quote(value)))
    }

    mutating func add(_ key: String, _ value: Double) {
        fields.append((key, value.isFinite ? String(format: "%.3f", value) : "null"))
    }

    mutating func add(_ key: String, _ value: Int) {
        fields.append((key, String(value)))
    }

    mutating func add(_ key: String, _ value: UInt64) {
        fields.append((key, String(value)))
    }

    var text: String {
        "{" + fields.map { "\(Self.quote($0.0)): \($0.1)" }.joined(separator: ", ") + "}"
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default:
                if scalar.value < 0x20 { out += String(format: "\\u%04x", scalar.value) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out + "\""
    }

    func print() {
        FileHandle.standardOutput.write(Data((text + "\n").utf8))
    }
}

/// Figures in a readable form.
enum Format {
    static func rate(_ value: Double) -> String {
        if value >= 100 { return String(format: "%.0f", value) }
        return String(format: "%.2f", value)
    }

    static func micros(_ value: Double) -> String {
        value >= 10_000 ? String(format: "%.1f ms", value / 1000) : String(format: "%.0f µs", value)
    }
}
