import Foundation

/// The arguments of every operation as `proto-spec/PROTOCOL.md` §14 gives
/// them: for each section headed with an operation's name
/// (`#### 14.2.8 \`ticks.query\``), its first table whose header starts
/// `| argument | type | required |`, or none when the section says "No
/// arguments". Types are turned into `describe`'s notation (§14.1.3):
/// "`int32` or `int64`" is `int32|int64`, "`array` of `document`" is
/// `array<document>`; a row naming two arguments (`start`, `end`) gives both.
enum SpecArgumentTables {
    /// One argument as the spec's table gives it.
    struct Argument: Equatable, CustomStringConvertible {
        var name: String
        var type: String
        var required: Bool
        var description: String { "\(name): \(type)\(required ? " (required)" : "")" }
    }

    /// Every operation of §14 with its arguments, in the spec's order. Throws
    /// when a section has neither a table nor "No arguments", or a row it
    /// cannot read.
    static func parse(_ text: String) throws -> [(op: String, arguments: [Argument])] {
        var operations: [(op: String, arguments: [Argument])] = []
        var current: (op: String, arguments: [Argument]?, saysNone: Bool)?
        var inTable = false
        func finish() throws {
            guard let section = current else { return }
            guard section.arguments != nil || section.saysNone else {
                throw SpecError("§14 `\(section.op)`: neither an argument table nor \"No arguments\"")
            }
            operations.append((section.op, section.arguments ?? []))
        }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if line.hasPrefix("#") {
                inTable = false
                if line.hasPrefix("#### 14."), let op = backticked(line).first {
                    try finish()
                    current = (op, nil, false)
                } else {
                    try finish()
                    current = nil
                }
                continue
            }
            guard current != nil else { continue }
            if line.contains("No arguments") { current?.saysNone = true }
            if line.hasPrefix("| argument | type | required |"), current?.arguments == nil {
                current?.arguments = []
                inTable = true
                continue
            }
            guard inTable else { continue }
            guard line.hasPrefix("|") else {
                inTable = false
                continue
            }
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).dropFirst().map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count >= 3 else { throw SpecError("§14 `\(current?.op ?? "")`: a row with fewer than 3 cells: \(line)") }
            if cells[0].allSatisfy({ $0 == "-" }) { continue }
            let names = backticked(cells[0])
            guard !names.isEmpty else { throw SpecError("§14 `\(current?.op ?? "")`: no argument name in \(line)") }
            let type = try describeType(cells[1])
            let required: Bool
            switch cells[2] {
            case "yes": required = true
            case "no": required = false
            case let other where other.hasPrefix("one of"): required = false // neither alone is required
            default: throw SpecError("§14 `\(current?.op ?? "")`: required is \"\(cells[2])\"")
            }
            for name in names { current?.arguments?.append(Argument(name: name, type: type, required: required)) }
        }
        try finish()
        return operations
    }

    /// A table's type cell in `describe`'s notation.
    static func describeType(_ cell: String) throws -> String {
        let text = cell.replacingOccurrences(of: "`", with: "")
        if text.hasPrefix("array of ") { return "array<" + text.dropFirst("array of ".count) + ">" }
        let names = text.replacingOccurrences(of: " or ", with: ", ").components(separatedBy: ", ")
        let known: Set<String> = ["double", "string", "document", "array", "binary", "bool", "datetime", "null", "int32", "int64"]
        guard names.allSatisfy(known.contains) else { throw SpecError("a type that is not BSON type names: \(cell)") }
        return names.joined(separator: "|")
    }

    /// The texts between backticks in `line`.
    static func backticked(_ line: String) -> [String] {
        line.split(separator: "`", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
    }

    struct SpecError: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }
}

extension SpecArgumentTables {
    /// The texts between double quotes in `text`.
    static func quoted(_ text: String) -> [String] {
        text.split(separator: "\"", omittingEmptySubsequences: false).enumerated().filter { $0.offset % 2 == 1 }.map { String($0.element) }
    }
}
