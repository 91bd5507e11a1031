import ArgumentParser
import BSONCore
import DeltaStoreClient
import Foundation
import WireProtocol

/// Printing for the CLI: results on stdout, errors on stderr, and the mapping
/// from an error reply to the exit status.
enum Output {
    static func line(_ text: String) {
        print(text)
    }

    static func error(_ text: String, newline: Bool = true) {
        FileHandle.standardError.write(Data((newline ? text + "\n" : text).utf8))
    }

    /// Prints an error reply as `CODE: message` (plus details) and exits 1.
    static func fail(_ error: WireError) -> ExitCode {
        var text = "\(error.code.rawValue): \(error.message)"
        if let details = error.details { text += " " + details.relaxedExtendedJSON }
        Self.error(text)
        return ExitCode.failure
    }

    /// Maps a thrown client error to output and an exit status.
    static func fail(_ error: any Error) -> ExitCode {
        if let clientError = error as? DeltaStoreError {
            switch clientError {
            case .server(let wire): return fail(wire)
            case .connection(let reason):
                Self.error("deltastorectl: \(reason)")
                return ExitCode(69)
            case .protocolViolation(let reason), .timedOut(let reason):
                Self.error("deltastorectl: \(reason)")
                return ExitCode.failure
            case .requestTooLarge:
                Self.error("deltastorectl: \(clientError)")
                return ExitCode.failure
            }
        }
        Self.error("deltastorectl: \(error)")
        return ExitCode.failure
    }

    /// Indents one-line JSON (as libbson prints it) for reading.
    static func pretty(_ json: String) -> String {
        var out = ""
        var indent = 0
        var inString = false
        var escaped = false
        let pad = { (level: Int) in String(repeating: "  ", count: level) }
        for character in json {
            if inString {
                out.append(character)
                if escaped { escaped = false } else if character == "\\" { escaped = true } else if character == "\"" { inString = false }
                continue
            }
            switch character {
            case "\"":
                inString = true
                out.append(character)
            case "{", "[":
                indent += 1
                out.append(character)
                out.append("\n" + pad(indent))
            case "}", "]":
                indent -= 1
                while out.last == " " || out.last == "\n" { out.removeLast() }
                if out.last == "{" || out.last == "[" {
                    out.append(character)
                } else {
                    out.append("\n" + pad(indent))
                    out.append(character)
                }
            case ",":
                out.append(",\n" + pad(indent))
            case " ":
                continue
            case ":":
                out.append(": ")
            default:
                out.append(character)
            }
        }
        return out
    }
}
