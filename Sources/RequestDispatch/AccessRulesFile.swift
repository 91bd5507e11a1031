import WireProtocol

/// Reads the access-rules file (`--access-rules PATH`).
///
/// Format, one rule per line; `#` starts a comment:
///
///     # subject          groups (comma- or space-separated)
///     user:analytics     read
///     group:enricher     read, write
///     uid:1001           read auth
///     gid:2000           admin
///     *                  read
///
/// Subjects: `user:NAME`, `uid:N`, `group:NAME`, `gid:N`, or `*` (anyone).
/// Groups: `read`, `write`, `auth`, `admin`, `forward` (may name end users
/// in `client`), or `all`. Names are resolved to
/// ids when the file is read; an unknown name, subject or group is an error
/// naming the line, so a typo never silently grants or removes access.
public enum AccessRulesFile {
    public struct ParseError: Error, Equatable, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "line \(line): \(message)" }
    }

    /// Resolves user and group names to ids (`getpwnam`/`getgrnam` in the daemon).
    public struct NameResolver: Sendable {
        public var user: @Sendable (String) -> UInt32?
        public var group: @Sendable (String) -> UInt32?

        public init(user: @escaping @Sendable (String) -> UInt32?, group: @escaping @Sendable (String) -> UInt32?) {
            self.user = user
            self.group = group
        }
    }

    /// Why a rules file with this `mode` and `owner` must not be trusted, or
    /// nil: it must be writable by its owner only (no `g+w`, no `o+w`) and
    /// owned by root or by the daemon's own user — anyone else able to write
    /// it could grant themselves `admin`. Readable by others is fine: the
    /// rules are not secret.
    public static func ownershipProblem(mode: UInt32, owner: UInt32, daemonUID: UInt32) -> String? {
        if mode & 0o022 != 0 {
            let permissions = String(mode & 0o7777, radix: 8)
            return "writable by \(mode & 0o020 != 0 ? (mode & 0o002 != 0 ? "group and others" : "group") : "others") (mode \(String(repeating: "0", count: max(0, 4 - permissions.count)) + permissions)); make it writable by its owner only (chmod go-w)"
        }
        if owner != 0 && owner != daemonUID {
            return "owned by uid \(owner), neither root nor the daemon's user (uid \(daemonUID)); chown it to one of them"
        }
        return nil
    }

    public static func parse(_ text: String, source: String, resolver: NameResolver) throws(ParseError) -> AccessPolicy {
        var rules: [AccessPolicy.Rule] = []
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let lineNumber = index + 1
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," || $0 == "\r" }).map(String.init)
            guard let subjectText = words.first else { continue }
            let subject = try Self.subject(subjectText, line: lineNumber, resolver: resolver)
            let groupWords = words.dropFirst()
            guard !groupWords.isEmpty else {
                throw ParseError(line: lineNumber, message: "'\(subjectText)' names no groups (read, write, auth, admin, forward, all)")
            }
            var groups: Set<OperationDescriptor.Group> = []
            for word in groupWords {
                if word == "all" {
                    groups.formUnion(AccessPolicy.allGroups)
                } else if let group = OperationDescriptor.Group(rawValue: word), group != .public {
                    groups.insert(group)
                } else {
                    throw ParseError(line: lineNumber, message: "unknown group '\(word)' (read, write, auth, admin, forward, all)")
                }
            }
            rules.append(AccessPolicy.Rule(subject, groups))
        }
        return AccessPolicy(rules: rules, source: source)
    }

    static func subject(_ text: String, line: Int, resolver: NameResolver) throws(ParseError) -> AccessPolicy.Subject {
        if text == "*" { return .anyone }
        let parts = text.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2, !parts[1].isEmpty else {
            throw ParseError(line: line, message: "'\(text)' is not a subject (user:NAME, uid:N, group:NAME, gid:N or *)")
        }
        let value = parts[1]
        switch parts[0] {
        case "uid":
            guard let id = UInt32(value) else { throw ParseError(line: line, message: "'\(value)' is not a uid") }
            return .uid(id)
        case "gid":
            guard let id = UInt32(value) else { throw ParseError(line: line, message: "'\(value)' is not a gid") }
            return .gid(id)
        case "user":
            guard let id = resolver.user(value) else { throw ParseError(line: line, message: "no user named '\(value)'") }
            return .uid(id)
        case "group":
            guard let id = resolver.group(value) else { throw ParseError(line: line, message: "no group named '\(value)'") }
            return .gid(id)
        default:
            throw ParseError(line: line, message: "'\(text)' is not a subject (user:NAME, uid:N, group:NAME, gid:N or *)")
        }
    }
}
