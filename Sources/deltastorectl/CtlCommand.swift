import ArgumentParser

/// `deltastorectl`: talk to deltastored from a shell.
@main
struct CtlCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deltastorectl",
        abstract: "Command-line client for deltastored.",
        discussion: """
        Exit status: 0 on success, 1 when the server answered with an error (its \
        code and message go to stderr), 69 when the daemon cannot be reached, \
        64 for a usage error.
        """,
        subcommands: [
            PingCommand.self, HelloCommand.self, HealthCommand.self, TicksCommand.self, OHLCCommand.self, QuotesCommand.self,
            ChainsCommand.self, ProductsCommand.self, ExpiriesCommand.self, SeedCommand.self, StatsCommand.self, BackupCommand.self, VerifyBackupCommand.self, CallCommand.self, AuthCommand.self,
        ]
    )

    /// The connection options may also come before the subcommand
    /// (`deltastorectl --socket PATH ping`), as `redis-cli -s` and
    /// `systemctl -H` take theirs; each subcommand declares the same group,
    /// so the value reaches it either way (one given after the subcommand wins).
    @OptionGroup var connection: ConnectionOptions
}
