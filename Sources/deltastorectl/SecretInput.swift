import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reading passwords and tokens: never from the command line (where `ps`
/// and shell history would show them).
///
/// When standard input is a terminal, a password is read from a prompt on
/// stderr with echo turned off (termios); otherwise the first line of
/// standard input is the password (so `printf '%s\n' "$PW" | deltastorectl
/// auth login …` and files work). A token is an argument when given (tokens
/// are short-lived and opaque), else the first line of standard input.
enum SecretInput {
    static var stdinIsTerminal: Bool { isatty(STDIN_FILENO) == 1 }

    /// A password from the no-echo prompt or from stdin. With `confirm` (new
    /// passwords at a terminal), it is asked twice and must match.
    static func password(prompt: String = "Password: ", confirm: Bool = false) throws -> String {
        guard stdinIsTerminal else {
            guard let line = readLine(strippingNewline: true) else {
                throw ValidationError("no password on standard input (one line expected)")
            }
            return line.hasSuffix("\r") ? String(line.dropLast()) : line
        }
        let first = try promptWithoutEcho(prompt)
        if confirm {
            let second = try promptWithoutEcho("Again: ")
            guard first == second else { throw ValidationError("the two passwords differ") }
        }
        return first
    }

    /// A token: `argument` when given and not "-", else the first line of stdin.
    static func token(_ argument: String?, what: String) throws -> String {
        if let argument, argument != "-" { return argument }
        if stdinIsTerminal { FileHandle.standardError.write(Data("\(what): ".utf8)) }
        guard let line = readLine(strippingNewline: true), !line.isEmpty else {
            throw ValidationError("no \(what) given (as an argument or one line on standard input)")
        }
        return line.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Reads a line from the terminal on stdin with echo off, restoring the
    /// terminal's settings afterwards (also when interrupted by an error).
    private static func promptWithoutEcho(_ prompt: String) throws -> String {
        FileHandle.standardError.write(Data(prompt.utf8))
        var saved = termios()
        guard tcgetattr(STDIN_FILENO, &saved) == 0 else {
            throw ValidationError("cannot read the terminal settings: \(String(cString: strerror(errno)))")
        }
        var silent = saved
        silent.c_lflag &= ~tcflag_t(ECHO)
        silent.c_lflag |= tcflag_t(ECHONL)
        guard tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent) == 0 else {
            throw ValidationError("cannot turn off echo: \(String(cString: strerror(errno)))")
        }
        defer { tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved) }
        guard let line = readLine(strippingNewline: true) else { throw ValidationError("no password entered") }
        return line
    }
}
