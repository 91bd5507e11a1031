import Logging
import Systemd

/// The process's log destination, set once before anything logs: journal
/// entries with priorities and fields when stderr is the journal, readable
/// lines on stderr otherwise.
enum LoggingBootstrap {
    static func bootstrap(level: Logger.Level) {
        let toJournal = JournalLogHandler.stderrIsJournal()
        LoggingSystem.bootstrap { label in
            if toJournal {
                var handler = JournalLogHandler(label: label)
                handler.logLevel = level
                return handler
            }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}
