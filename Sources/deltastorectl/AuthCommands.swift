import ArgumentParser
import BSONCore
import DeltaStoreClient

/// `deltastorectl auth …`: the auth operations from a shell.
struct AuthCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "auth",
        abstract: "Register, log in, verify, refresh and log out.",
        discussion: """
        Passwords are read from a prompt without echo when standard input is a \
        terminal, else from the first line of standard input; never from the \
        command line. Tokens may be given as an argument or, with no argument \
        (or -), as the first line of standard input.
        """,
        subcommands: [AuthRegisterCommand.self, AuthLoginCommand.self, AuthVerifyCommand.self, AuthRefreshCommand.self, AuthLogoutCommand.self]
    )
}

/// `--json` for the auth subcommands: the raw result as extended JSON.
struct AuthOutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print the result as JSON (relaxed extended JSON) instead of `name: value` lines.")
    var json = false

    /// Prints `result`: JSON, or one `name: value` line per field (user fields
    /// flattened, datetimes in ISO-8601).
    func print(_ result: BSONDocument) {
        if json {
            Output.line(result.relaxedExtendedJSON)
            return
        }
        for (key, value) in result.elements {
            if case .document(let inner) = value {
                for (innerKey, innerValue) in inner.elements { Output.line("\(key)_\(innerKey): \(Cell.text(innerValue))") }
            } else {
                Output.line("\(key): \(Cell.text(value))")
            }
        }
    }
}

extension ConnectionOptions {
    /// Calls `op` on a new connection and prints the result; errors exit as usual.
    func callAndPrint(_ op: String, _ args: BSONDocument, output: AuthOutputOptions) async throws {
        let client = try await connect()
        defer { Task { await client.close() } }
        do {
            output.print(try await client.call(op, args))
        } catch {
            throw Output.fail(error)
        }
    }
}

struct AuthRegisterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "register", abstract: "Create a user and log it in (prints the tokens).")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: AuthOutputOptions
    @Option(name: .long, help: "Email address.") var email: String
    @Option(name: .long, help: "Display name.") var name: String?

    func run() async throws {
        let password = try SecretInput.password(prompt: "New password (8 to 72 bytes): ", confirm: true)
        var pairs: [(String, BSONValue)] = [("email", .string(email)), ("password", .string(password))]
        if let name { pairs.append(("name", .string(name))) }
        try await connection.callAndPrint("auth.register", BSONDocument(pairs), output: output)
    }
}

struct AuthLoginCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "login", abstract: "Log in (prints the tokens).")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: AuthOutputOptions
    @Option(name: .long, help: "Email address.") var email: String

    func run() async throws {
        let password = try SecretInput.password()
        try await connection.callAndPrint("auth.login", ["email": .string(email), "password": .string(password)], output: output)
    }
}

struct AuthVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "verify", abstract: "Check an access token (exit 1 with TOKEN_EXPIRED, TOKEN_INVALID or TOKEN_REVOKED when it is not good).")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: AuthOutputOptions
    @Argument(help: "The access token; omit (or -) to read it from standard input.") var token: String?

    func run() async throws {
        let token = try SecretInput.token(token, what: "access token")
        try await connection.callAndPrint("auth.verify", ["token": .string(token)], output: output)
    }
}

struct AuthRefreshCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "refresh", abstract: "Exchange a refresh token for new tokens (the old refresh token is used up).")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: AuthOutputOptions
    @Argument(help: "The refresh token; omit (or -) to read it from standard input, which keeps it out of the process list. One that begins with '-' goes after '--'.") var refreshToken: String?

    func run() async throws {
        let token = try SecretInput.token(refreshToken, what: "refresh token")
        try await connection.callAndPrint("auth.refresh", ["refresh_token": .string(token)], output: output)
    }
}

struct AuthLogoutCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "logout", abstract: "Revoke the session of a refresh or access token, or all of its user's sessions.")

    @OptionGroup var connection: ConnectionOptions
    @OptionGroup var output: AuthOutputOptions
    @Argument(help: "A refresh token or an access token (told apart by shape); omit (or -) to read it from standard input. A refresh token that begins with '-' goes after '--'.") var token: String?
    @Flag(name: .customLong("all"), help: "Revoke every session of the token's user.") var allSessions = false

    func run() async throws {
        let token = try SecretInput.token(token, what: "token")
        // Access tokens are JWTs (with dots); refresh tokens never contain one.
        let field = token.contains(".") ? "token" : "refresh_token"
        var pairs: [(String, BSONValue)] = [(field, .string(token))]
        if allSessions { pairs.append(("all_sessions", .bool(true))) }
        try await connection.callAndPrint("auth.logout", BSONDocument(pairs), output: output)
    }
}
