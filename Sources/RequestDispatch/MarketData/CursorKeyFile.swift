#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Domain

/// The file that keeps the cursor secret (`CursorKey`): `cursor-key` in the
/// state directory, created at the first start.
///
/// It exists so that cursors keep working across restarts (the secret must
/// outlive the process) while nobody but the daemon's user can read it. The
/// file holds one line, the 32-byte secret in base64url, after a comment. It
/// is created with mode 0600 (exactly, whatever the umask) and `O_EXCL`, so
/// two daemons starting at once cannot overwrite each other's; a file that
/// others (the "o" bits) may read or write, that is not a regular file, or
/// whose secret is shorter than 32 bytes is refused, naming the file. The
/// secret is never logged: errors name the file only.
public enum CursorKeyFile {
    public static let fileName = "cursor-key"
    static let maximumFileBytes = 4096

    /// A file that cannot be used, and why (never its content).
    public struct Failure: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    /// What `loadOrCreate` found.
    public enum Origin: Sendable, Equatable {
        case loaded, created
    }

    /// The key in `directory/cursor-key`, created with a new random secret
    /// when the file does not exist (and `directory`, mode 0750, when it does
    /// not exist; its parent must).
    public static func loadOrCreate(directory: String) throws(Failure) -> (key: CursorKey, origin: Origin) {
        let path = directory + "/" + fileName
        if let key = try load(path: path) { return (key, .loaded) }
        if mkdir(directory, 0o750) != 0, errno != EEXIST {
            throw Failure(description: "cannot create the state directory \(directory) for the cursor key: \(systemError())")
        }
        if let key = try create(path: path) { return (key, .created) }
        // Created by another process since the check: read that one.
        guard let key = try load(path: path) else { throw Failure(description: "the cursor key file \(path) appeared and vanished while it was being created") }
        return (key, .loaded)
    }

    /// The key in `path`, or nil when the file does not exist.
    static func load(path: String) throws(Failure) -> CursorKey? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else {
            if errno == ENOENT { return nil }
            throw Failure(description: "cannot open the cursor key file \(path): \(systemError())")
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw Failure(description: "cannot stat the cursor key file \(path): \(systemError())") }
        guard info.st_mode & S_IFMT == S_IFREG else { throw Failure(description: "the cursor key file \(path) is not a regular file") }
        let mode = info.st_mode & 0o777
        guard mode & 0o007 == 0 else {
            throw Failure(description: "the cursor key file \(path) has mode \(String(mode, radix: 8)): others may read or write it; refusing it (chmod 600 \(path))")
        }
        var bytes = [UInt8](repeating: 0, count: maximumFileBytes + 1)
        var count = 0
        while count < bytes.count {
            let read = bytes[count...].withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if read < 0 {
                if errno == EINTR { continue }
                throw Failure(description: "cannot read the cursor key file \(path): \(systemError())")
            }
            if read == 0 { break }
            count += read
        }
        defer { for index in bytes.indices { bytes[index] = 0 } }
        guard count <= maximumFileBytes else { throw Failure(description: "the cursor key file \(path) is larger than \(maximumFileBytes) bytes") }
        let lines = bytes[..<count].split(separator: UInt8(ascii: "\n")).filter { $0.first != UInt8(ascii: "#") && !$0.isEmpty }
        guard lines.count == 1, let text = String(validating: lines[0], as: UTF8.self),
              var secret = Base64URL.decode(text), let key = CursorKey(secret: secret)
        else {
            throw Failure(description: "the cursor key file \(path) must hold one line: at least \(CursorKey.secretBytes) random bytes in base64url (remove the file to have a new one made; cursors issued before then stop working)")
        }
        for index in secret.indices { secret[index] = 0 }
        return key
    }

    /// Writes a new secret to `path` (mode 0600); nil if the file exists.
    static func create(path: String) throws(Failure) -> CursorKey? {
        var generator = SystemRandomNumberGenerator()
        var secret = (0..<CursorKey.secretBytes).map { _ in UInt8.random(in: 0...255, using: &generator) }
        defer { for index in secret.indices { secret[index] = 0 } }
        guard let key = CursorKey(secret: secret) else { throw Failure(description: "internal: a generated cursor secret was refused") }
        var text = Array("# deltastored: the secret that authenticates page cursors. Keep it private; a new one invalidates the cursors issued before.\n".utf8)
            + Array(Base64URL.encode(secret).utf8) + [UInt8(ascii: "\n")]
        defer { for index in text.indices { text[index] = 0 } }
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            if errno == EEXIST { return nil }
            throw Failure(description: "cannot create the cursor key file \(path): \(systemError())")
        }
        defer { close(descriptor) }
        func fail(_ what: String) -> Failure {
            let failure = Failure(description: "cannot \(what) the cursor key file \(path): \(systemError())")
            unlink(path)
            return failure
        }
        guard fchmod(descriptor, 0o600) == 0 else { throw fail("set the mode of") }
        var offset = 0
        while offset < text.count {
            let written = text[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                throw fail("write")
            }
            offset += written
        }
        guard fsync(descriptor) == 0 else { throw fail("sync") }
        return key
    }

    private static func systemError() -> String {
        String(cString: strerror(errno))
    }
}
