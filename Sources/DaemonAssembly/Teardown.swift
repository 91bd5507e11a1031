/// The closing steps of what the assembly opened, run last-opened first:
/// one list, filled as each resource opens, used both when a later step of
/// the start fails and when the daemon stops, so no teardown is written twice.
struct Teardown: Sendable {
    /// One resource's closing step, named for the debug log.
    struct Step: Sendable {
        var name: String
        var close: @Sendable () async -> Void
    }

    private(set) var steps: [Step] = []

    /// Registers the closing of a resource that has just opened.
    mutating func add(_ name: String, _ close: @escaping @Sendable () async -> Void) {
        steps.append(Step(name: name, close: close))
    }

    /// Closes everything, newest first.
    func run() async {
        for step in steps.reversed() { await step.close() }
    }
}
