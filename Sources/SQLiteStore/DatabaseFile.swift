#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Domain

/// Prepares the place of the database file before SQLite opens it.
///
/// It exists because SQLite creates files with the process umask (typically
/// 0644) and never creates directories: here missing parent directories are
/// made with mode 0750 and a missing database file with mode 0600, exactly,
/// whatever the umask (the WAL and shared-memory files SQLite adds later copy
/// the database file's mode). Existing directories and files keep their modes.
/// A path that cannot be used fails here with the system's own reason, which
/// reads better than SQLite's "unable to open database file".
enum DatabaseFile {
    static let directoryMode: mode_t = 0o750
    static let fileMode: mode_t = 0o600

    static func prepare(_ path: String) throws(StoreError) {
        guard !path.isEmpty else {
            throw StoreError.failure("the SQLite database path is empty")
        }
        guard path != ":memory:", !path.hasPrefix("file:") else {
            throw StoreError.failure("the SQLite database path must name a file, got \(path)")
        }
        try makeParentDirectories(of: path)
        try createFile(path)
    }

    private static func makeParentDirectories(of path: String) throws(StoreError) {
        let components = path.split(separator: "/", omittingEmptySubsequences: false).dropLast()
        var prefix = ""
        for (index, component) in components.enumerated() {
            prefix += (index == 0 ? "" : "/") + component
            guard !component.isEmpty, component != ".", component != ".." else { continue }
            var info = stat()
            if stat(prefix, &info) == 0 {
                guard info.st_mode & S_IFMT == S_IFDIR else {
                    throw StoreError.failure("cannot use \(path) for the SQLite database: \(prefix) is not a directory")
                }
                continue
            }
            guard mkdir(prefix, directoryMode) == 0 else {
                // Another process may have created it meanwhile.
                if errno == EEXIST { continue }
                throw StoreError.failure("cannot create the directory \(prefix) for the SQLite database: \(systemError())")
            }
            // The umask may have removed bits we want; 0750 is exact.
            if chmod(prefix, directoryMode) != 0 {
                throw StoreError.failure("cannot set the mode of \(prefix) to 0750: \(systemError())")
            }
        }
    }

    private static func createFile(_ path: String) throws(StoreError) {
        var info = stat()
        let existed = stat(path, &info) == 0
        if existed, info.st_mode & S_IFMT == S_IFDIR {
            throw StoreError.failure("cannot use \(path) for the SQLite database: it is a directory")
        }
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, fileMode)
        guard descriptor >= 0 else {
            throw StoreError.failure("cannot open the SQLite database file \(path): \(systemError())")
        }
        defer { close(descriptor) }
        // The umask may have removed bits we want; 0600 is exact.
        if !existed, fchmod(descriptor, fileMode) != 0 {
            throw StoreError.failure("cannot set the mode of \(path) to 0600: \(systemError())")
        }
    }

    /// Whether something exists at `path` (a missing file reads as absent;
    /// any other error, e.g. a permission, as present: opening reports it).
    static func exists(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 || errno != ENOENT
    }

    private static func systemError() -> String {
        String(cString: strerror(errno))
    }
}
