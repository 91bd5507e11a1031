import ArgumentParser
import BSONCore

/// `--json` and `--all`, shared by the query subcommands.
struct OutputOptions: ParsableArguments {
    @Flag(name: .long, help: "Print records as JSON lines (relaxed extended JSON, one document per line) instead of a table.")
    var json = false

    @Flag(name: .long, help: "Follow `next` cursors and print every page.")
    var all = false

    func printJSON(_ documents: [BSONDocument]) {
        for document in documents { Output.line(document.relaxedExtendedJSON) }
    }
}
