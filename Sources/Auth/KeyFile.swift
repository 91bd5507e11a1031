import Domain
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// One HMAC key of the ring: its id (the JWT header's `kid`) and its secret.
///
/// The secret never leaves this module in readable form: `description` shows
/// the id only, so a key can be logged by mistake without harm.
public struct SigningKey: Sendable, CustomStringConvertible {
    public let kid: String
    let secret: [UInt8]

    /// A key from its id and secret bytes (tools and benchmarks; the daemon
    /// reads its keys from the key file).
    public init(kid: String, secret: [UInt8]) {
        self.kid = kid
        self.secret = secret
    }

    /// A new key of 32 random bytes.
    public static func generate(kid: String) -> SigningKey {
        SigningKey(kid: kid, secret: SecureRandom.bytes(KeyFile.generatedSecretBytes))
    }

    public var description: String { "signing key \(kid)" }
}

/// A key file could not be used; the text says which file, which line and
/// why (never the secret).
public struct KeyFileError: Error, Sendable, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// The key file: its format, its permission rule, and the generated default.
///
/// Format (UTF-8 text):
/// ```
/// # comments and blank lines are ignored
/// 2024-03 3q2-7wAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
/// 2024-06 <base64url secret, at least 32 bytes once decoded>
/// ```
/// One key per line: a key id (1 to 64 characters of `A-Z a-z 0-9 . _ -`),
/// white space, the secret in base64url (padding optional). Key ids are unique.
/// The **last** key signs new tokens; every key verifies. A secret shorter
/// than 32 bytes is refused (HS256 needs a key at least as long as its
/// 32-byte output), and so is the whole file then: a broken file never loads
/// in part.
///
/// The file must be a regular file that others (the "o" bits) can neither
/// read nor write (e.g. mode 0600 or 0640, or 0400 as systemd's credentials
/// are); otherwise it is refused.
public enum KeyFile {
    public static let minimumSecretBytes = 32
    public static let maximumSecretBytes = 1024
    public static let generatedSecretBytes = 32
    public static let maximumFileBytes = 64 * 1024
    /// The name under `$CREDENTIALS_DIRECTORY` and in the state directory.
    public static let fileName = "jwt-keys"

    /// Parses the text of a key file; `path` is for error messages.
    public static func parse(_ text: String, path: String) throws(KeyFileError) -> [SigningKey] {
        var keys: [SigningKey] = []
        var seen = Set<String>()
        // `isNewline` also splits "\r\n", which Swift reads as one character.
        for (index, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let lineNumber = index + 1
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard let first = fields.first, !first.hasPrefix("#") else { continue }
            guard fields.count == 2 else {
                throw KeyFileError("\(path):\(lineNumber): expected `KID SECRET` (a key id, white space, a base64url secret), found \(fields.count) field\(fields.count == 1 ? "" : "s")")
            }
            let kid = String(fields[0])
            guard FieldRules.isName(kid) else {
                throw KeyFileError("\(path):\(lineNumber): the key id must be 1 to 64 characters of A-Z a-z 0-9 . _ -")
            }
            guard seen.insert(kid).inserted else {
                throw KeyFileError("\(path):\(lineNumber): key id '\(kid)' appears more than once")
            }
            var encoded = fields[1]
            while encoded.last == "=" { encoded = encoded.dropLast() }
            guard let secret = Base64URL.decode(encoded) else {
                throw KeyFileError("\(path):\(lineNumber): the secret of key '\(kid)' is not base64url (A-Z a-z 0-9 - _)")
            }
            guard secret.count >= minimumSecretBytes else {
                throw KeyFileError("\(path):\(lineNumber): the secret of key '\(kid)' is \(secret.count) bytes; at least \(minimumSecretBytes) random bytes are required")
            }
            guard secret.count <= maximumSecretBytes else {
                throw KeyFileError("\(path):\(lineNumber): the secret of key '\(kid)' is longer than \(maximumSecretBytes) bytes")
            }
            keys.append(SigningKey(kid: kid, secret: secret))
        }
        guard !keys.isEmpty else { throw KeyFileError("\(path): no keys (one `KID SECRET` line per key, the last one signs)") }
        return keys
    }

    /// The line for `key` in a key file.
    public static func line(for key: SigningKey) -> String {
        "\(key.kid) \(Base64URL.encode(key.secret))"
    }

    /// Reads and parses the key file at `path`, refusing a file that others
    /// can read or write, or that is not a regular file.
    public static func read(path: String) throws(KeyFileError) -> [SigningKey] {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard descriptor >= 0 else {
            let reason = String(cString: strerror(errno))
            throw KeyFileError("cannot open the key file \(path): \(reason)")
        }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else {
            throw KeyFileError("cannot stat the key file \(path): \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else { throw KeyFileError("the key file \(path) is not a regular file") }
        let mode = info.st_mode & 0o777
        guard mode & 0o007 == 0 else {
            throw KeyFileError("the key file \(path) has mode \(String(mode, radix: 8)): others may read or write it; refusing it (chmod o= \(path))")
        }
        guard Int(info.st_size) <= maximumFileBytes else {
            throw KeyFileError("the key file \(path) is larger than \(maximumFileBytes) bytes")
        }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw KeyFileError("cannot read the key file \(path): \(String(cString: strerror(errno)))")
            }
            if count == 0 { break }
            bytes += buffer[0..<count]
            guard bytes.count <= maximumFileBytes else { throw KeyFileError("the key file \(path) is larger than \(maximumFileBytes) bytes") }
        }
        // Zero the copy we made; the parsed keys keep their own.
        defer { for index in bytes.indices { bytes[index] = 0 } }
        guard let text = String(validating: bytes, as: UTF8.self) else { throw KeyFileError("the key file \(path) is not UTF-8 text") }
        return try parse(text, path: path)
    }

    /// Creates a key file with one new key at `path` (mode 0600, parent
    /// directories 0750), failing if the file exists. Returns the new key.
    public static func create(at path: String, kid: String) throws(KeyFileError) -> SigningKey {
        try makeParentDirectories(of: path)
        let key = SigningKey.generate(kid: kid)
        let text = """
            # deltastored JWT signing keys: one `KID SECRET` (base64url) per line.
            # The last key signs new tokens; every key listed verifies. To rotate,
            # append a new key, send SIGHUP, and remove the old key (and SIGHUP
            # again) once the tokens it signed have expired.
            \(line(for: key))

            """
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            throw KeyFileError("cannot create the key file \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        guard fchmod(descriptor, 0o600) == 0 else {
            throw KeyFileError("cannot set the mode of \(path) to 0600: \(String(cString: strerror(errno)))")
        }
        var bytes = Array(text.utf8)
        defer { for index in bytes.indices { bytes[index] = 0 } }
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                unlink(path)
                throw KeyFileError("cannot write the key file \(path): \(reason)")
            }
            offset += written
        }
        guard fsync(descriptor) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(path)
            throw KeyFileError("cannot sync the key file \(path): \(reason)")
        }
        return key
    }

    private static func makeParentDirectories(of path: String) throws(KeyFileError) {
        let components = path.split(separator: "/", omittingEmptySubsequences: false).dropLast()
        var prefix = ""
        for (index, component) in components.enumerated() {
            prefix += (index == 0 ? "" : "/") + component
            guard !component.isEmpty, component != ".", component != ".." else { continue }
            var info = stat()
            if stat(prefix, &info) == 0 { continue }
            if mkdir(prefix, 0o750) != 0, errno != EEXIST {
                throw KeyFileError("cannot create the directory \(prefix) for the key file: \(String(cString: strerror(errno)))")
            }
        }
    }
}
