#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Domain
import Foundation

/// The SQLite databases a state directory has held: `sqlite-stores` in it,
/// one absolute path per line.
///
/// It exists so that a database file that disappeared between two runs (an
/// operator's mistake, a restore gone wrong, a volume not mounted) is not
/// silently replaced by a new, empty one: SQLite creates a missing file, and
/// the daemon would then serve an empty store as if nothing had happened. A
/// path is remembered once its store opened; at the next start a remembered
/// path whose file is missing is refused unless the operator asks for a new
/// store (`deltastored --new-store`).
public struct KnownStores: Sendable {
    public let file: String

    public static let fileName = "sqlite-stores"

    public let stateDirectory: String

    public init(stateDirectory: String) {
        self.stateDirectory = stateDirectory
        file = stateDirectory + "/" + Self.fileName
    }

    /// The remembered paths (none when the file does not exist).
    public func paths() -> [String] {
        guard let text = Self.read(file) else { return [] }
        return text.split(separator: "\n").map(String.init).filter { !$0.isEmpty && !$0.hasPrefix("#") }
    }

    public func contains(_ path: String) -> Bool {
        paths().contains(Self.absolute(path))
    }

    /// Adds `path` (made absolute) if it is not there yet; the file is
    /// rewritten whole (a temporary file renamed over it). The state
    /// directory is created (mode 0750) when missing; its parent must exist.
    public func remember(_ path: String) throws(StoreError) {
        let absolute = Self.absolute(path)
        var paths = paths()
        guard !paths.contains(absolute) else { return }
        paths.append(absolute)
        let text = "# SQLite stores of this state directory (deltastored): a missing one is not recreated without --new-store.\n"
            + paths.joined(separator: "\n") + "\n"
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: stateDirectory, isDirectory: &isDirectory) {
            do {
                try FileManager.default.createDirectory(atPath: stateDirectory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o750])
            } catch {
                throw StoreError.failure("cannot create the state directory \(stateDirectory): \(error.localizedDescription)")
            }
        }
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: file), options: .atomic)
        } catch {
            throw StoreError.failure("cannot write \(file): \(error.localizedDescription)")
        }
    }

    /// `path` made absolute against the working directory (not resolved:
    /// the file may not exist).
    static func absolute(_ path: String) -> String {
        guard !path.hasPrefix("/") else { return path }
        var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
        guard getcwd(&buffer, buffer.count) != nil else { return path }
        var directory = String(cString: buffer)
        if directory.hasSuffix("/") { directory.removeLast() }
        var relative = Substring(path)
        while relative.hasPrefix("./") { relative = relative.dropFirst(2) }
        return directory + "/" + relative
    }

    private static func read(_ path: String) -> String? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(decoding: data.prefix(1 << 20), as: UTF8.self)
    }
}
