#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Logging
import RequestDispatch

/// Loads the access policy: the rules file if one is given (or installed at
/// /etc/deltastore/access.conf), else the documented defaults.
enum AccessSetup {
    static let installedRulesPath = "/etc/deltastore/access.conf"

    /// The rules file in use, if any: `--access-rules`, else the installed
    /// path when it exists and the daemon runs installed (not from a checkout).
    static func rulesPath(option: String?, fromCheckout: Bool) -> String? {
        if let option { return option }
        if !fromCheckout, FileManager.default.fileExists(atPath: installedRulesPath) { return installedRulesPath }
        return nil
    }

    static func load(path: String?) throws -> AccessPolicy {
        guard let path else { return AccessPolicy.defaults(daemonUID: getuid(), daemonGID: getgid()) }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw SetupError("cannot read access rules \(path): \(error.localizedDescription)")
        }
        do {
            return try AccessRulesFile.parse(text, source: path, resolver: systemResolver)
        } catch {
            throw SetupError("access rules \(path): \(error)")
        }
    }

    /// Names resolved through NSS (`getpwnam_r`/`getgrnam_r`), at load time only.
    static let systemResolver = AccessRulesFile.NameResolver(
        user: { name in
            var entry = passwd()
            var result: UnsafeMutablePointer<passwd>?
            var buffer = [CChar](repeating: 0, count: 16_384)
            guard getpwnam_r(name, &entry, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
            return entry.pw_uid
        },
        group: { name in
            var entry = group()
            var result: UnsafeMutablePointer<group>?
            var buffer = [CChar](repeating: 0, count: 65_536)
            guard getgrnam_r(name, &entry, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
            return entry.gr_gid
        }
    )

    static func describe(_ policy: AccessPolicy) -> String {
        policy.rules.map { "\($0.subject)=\($0.groups.map(\.rawValue).sorted().joined(separator: "+"))" }.joined(separator: " ")
    }
}

/// A start-up or reload failure with a message for the operator.
struct SetupError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
