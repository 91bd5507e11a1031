#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import RequestDispatch
import WireProtocol

/// Loads the access policy: the rules file if one is given (or installed at
/// /etc/deltastore/access.conf), else the documented defaults.
enum AccessSetup {
    static let installedRulesPath = "/etc/deltastore/access.conf"

    /// The rules file in use, if any: the configured file, else the installed
    /// path when it exists and the source says so (an installed daemon, not
    /// one run from a checkout). Asked again at every reload, so a rules file
    /// created after the start applies at the next `systemctl reload` (and a
    /// removed one gives the defaults back).
    static func rulesPath(_ source: AccessRulesSource) -> String? {
        switch source {
        case .file(let path): return path
        case .installedWhenPresent: return FileManager.default.fileExists(atPath: installedRulesPath) ? installedRulesPath : nil
        case .defaults: return nil
        }
    }

    static func load(path: String?) throws -> AccessPolicy {
        guard let path else { return AccessPolicy.defaults(daemonUID: getuid(), daemonGID: getgid()) }
        let text = try readGuarded(path)
        do {
            return try AccessRulesFile.parse(text, source: path, resolver: systemResolver)
        } catch {
            throw SetupError("access rules \(path): \(error)")
        }
    }

    /// The rules file's text, read from the same open file whose owner and
    /// mode were checked (`AccessRulesFile.ownershipProblem`): a file that
    /// someone other than root or the daemon's user could have written is
    /// refused, since it decides who is admin.
    static func readGuarded(_ path: String) throws -> String {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)
        guard descriptor >= 0 else { throw SetupError("cannot read access rules \(path): \(String(cString: strerror(errno)))") }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw SetupError("cannot read access rules \(path): \(String(cString: strerror(errno)))") }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw SetupError("access rules \(path): not a regular file; refused") }
        if let problem = AccessRulesFile.ownershipProblem(mode: UInt32(info.st_mode), owner: info.st_uid, daemonUID: geteuid()) {
            throw SetupError("access rules \(path): \(problem); refused")
        }
        let data: Data
        do {
            data = try handle.readToEnd() ?? Data()
        } catch {
            throw SetupError("cannot read access rules \(path): \(error.localizedDescription)")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw SetupError("access rules \(path): not UTF-8 text") }
        return text
    }

    /// Names resolved through NSS (`getpwnam_r`/`getgrnam_r`), at load time only.
    static let systemResolver = AccessRulesFile.NameResolver(
        user: { name in nss(passwd(), bufferSize: 16_384, { getpwnam_r(name, $0, $1, $2, $3) }, value: { $0.pw_uid }) },
        group: { name in nss(group(), bufferSize: 65_536, { getgrnam_r(name, $0, $1, $2, $3) }, value: { $0.gr_gid }) }
    )

    /// One reentrant NSS lookup (`getpwnam_r`, `getgrgid_r`, …) and what to
    /// take from its entry, read while the buffer its strings point into is
    /// alive; nil when there is no such entry.
    private static func nss<Entry, Value>(
        _ empty: Entry, bufferSize: Int,
        _ lookup: (UnsafeMutablePointer<Entry>, UnsafeMutablePointer<CChar>, Int, UnsafeMutablePointer<UnsafeMutablePointer<Entry>?>) -> Int32,
        value: (Entry) -> Value?
    ) -> Value? {
        var entry = empty
        var result: UnsafeMutablePointer<Entry>?
        var buffer = [CChar](repeating: 0, count: bufferSize)
        return buffer.withUnsafeMutableBufferPointer { chars -> Value? in
            guard let base = chars.baseAddress, lookup(&entry, base, chars.count, &result) == 0, result != nil else { return nil }
            return value(entry)
        }
    }

    /// The rules as fields: `uid:0=admin+auth+read+write gid:995=auth+read+write`.
    static func describe(_ policy: AccessPolicy) -> String {
        policy.rules.map { "\($0.subject)=\($0.groups.map(\.rawValue).sorted().joined(separator: "+"))" }.joined(separator: " ")
    }

    /// The rules for a person: where they come from and who gets what, with
    /// names where the system has them: `defaults (no rules file): uid 0
    /// (root) all; uid 995 (deltastore) all; group 995 (deltastore) read,
    /// write, auth; anyone else public only`.
    static func summary(_ policy: AccessPolicy) -> String {
        let origin = policy.source == AccessPolicy.defaults(daemonUID: 0, daemonGID: 0).source
            ? "defaults (no rules file)"
            : "\(policy.source) (\(policy.rules.count) rule\(policy.rules.count == 1 ? "" : "s"))"
        var parts = policy.rules.map { "\(subjectText($0.subject)) \(groupsText($0.groups))" }
        if !policy.rules.contains(where: { $0.subject == .anyone }) { parts.append("anyone else public only") }
        return origin + ": " + parts.joined(separator: "; ")
    }

    private static func subjectText(_ subject: AccessPolicy.Subject) -> String {
        switch subject {
        case .uid(let uid): return "uid \(uid)" + (userName(uid).map { " (\($0))" } ?? "")
        case .gid(let gid): return "group \(gid)" + (groupName(gid).map { " (\($0))" } ?? "")
        case .anyone: return "anyone"
        }
    }

    private static func groupsText(_ groups: Set<OperationDescriptor.Group>) -> String {
        if groups.isSuperset(of: AccessPolicy.allGroups) { return "all" }
        let order: [OperationDescriptor.Group] = [.read, .write, .auth, .admin, .forward]
        return order.filter(groups.contains).map(\.rawValue).joined(separator: ", ")
    }

    private static func userName(_ uid: UInt32) -> String? {
        nss(passwd(), bufferSize: 16_384, { getpwuid_r(uid, $0, $1, $2, $3) }, value: { $0.pw_name.map { String(cString: $0) } })
    }

    private static func groupName(_ gid: UInt32) -> String? {
        nss(group(), bufferSize: 65_536, { getgrgid_r(gid, $0, $1, $2, $3) }, value: { $0.gr_name.map { String(cString: $0) } })
    }
}

/// A start-up or reload failure with a message for the operator.
struct SetupError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
