import Crypto
import Foundation
import Logging
import NIOConcurrencyHelpers
#if canImport(Glibc)
import Glibc
#endif

/// Where the key ring comes from, in order of precedence:
/// 1. `--jwt-keys PATH` (`configured`);
/// 2. `$CREDENTIALS_DIRECTORY/jwt-keys` when that file exists (systemd's
///    `LoadCredential=jwt-keys:…`, `credential`);
/// 3. `jwt-keys` in the state directory (`stateDirectory`), created with one
///    new key (mode 0600) when missing.
/// Keys never come from the command line itself.
public enum KeySource: Sendable, Equatable, CustomStringConvertible {
    case configured(path: String)
    case credential(path: String)
    case stateDirectory(path: String)

    public static func resolve(explicitPath: String?, environment: [String: String], stateDirectory: String) -> KeySource {
        if let explicitPath, !explicitPath.isEmpty { return .configured(path: explicitPath) }
        if let directory = environment["CREDENTIALS_DIRECTORY"]?.split(separator: ":").first, !directory.isEmpty {
            let path = String(directory) + "/" + KeyFile.fileName
            if access(path, F_OK) == 0 { return .credential(path: path) }
        }
        return .stateDirectory(path: stateDirectory + "/" + KeyFile.fileName)
    }

    public var path: String {
        switch self {
        case .configured(let path), .credential(let path), .stateDirectory(let path): return path
        }
    }

    public var description: String {
        switch self {
        case .configured(let path): return "--jwt-keys \(path)"
        case .credential(let path): return "systemd credential \(path)"
        case .stateDirectory(let path): return "state directory key file \(path)"
        }
    }
}

/// The HMAC keys tokens are signed and verified with, by `kid`.
///
/// The newest key (the last one of the file) signs; every key verifies, so a
/// rotation never invalidates tokens in flight. `reload()` re-reads the file
/// (the daemon calls it on SIGHUP) and swaps the whole ring at once; a file
/// that does not load leaves the current ring in place. Readers take a
/// snapshot, so a token is checked against one consistent ring.
public final class KeyRing: Sendable {
    /// One loaded ring: the keys in file order, and their secrets as
    /// swift-crypto keys by `kid` (HS256 each) for `AccessTokenCodec`.
    public struct Snapshot: Sendable {
        public let keys: [SigningKey]
        private let verificationKeys: [String: SymmetricKey]
        /// 0 for the ring's first load, one more on every reload: what a
        /// token verified under an older snapshot must be checked again under.
        public let generation: UInt64

        init(keys: [SigningKey], generation: UInt64 = 0) {
            precondition(!keys.isEmpty, "a key ring needs a key")
            self.keys = keys
            self.generation = generation
            self.verificationKeys = Dictionary(keys.map { ($0.kid, SymmetricKey(data: $0.secret)) }, uniquingKeysWith: { _, last in last })
        }

        /// The key that signs new tokens: the last one.
        public var signingKey: SigningKey { keys[keys.count - 1] }
        /// The signing key's secret, as the codec takes it.
        var signingSecret: SymmetricKey { SymmetricKey(data: signingKey.secret) }
        public var kids: [String] { keys.map(\.kid) }
        /// The HMAC key registered under `kid`, if the ring has one.
        func verificationKey(kid: String) -> SymmetricKey? { verificationKeys[kid] }
    }

    public let source: KeySource?
    private let current: NIOLockedValueBox<Snapshot>
    /// The last generation handed out, so that no two snapshots share one.
    private let generations = NIOLockedValueBox<UInt64>(0)
    private let logger: Logger

    private init(source: KeySource?, snapshot: Snapshot, logger: Logger) {
        self.source = source
        self.current = NIOLockedValueBox(snapshot)
        self.logger = logger
    }

    /// A ring of fixed keys, not backed by a file (tests, tools).
    public convenience init(keys: [SigningKey], logger: Logger = Logger(label: "deltastore.auth.keys")) {
        self.init(source: nil, snapshot: Snapshot(keys: keys), logger: logger)
    }

    /// Loads the ring from `source`; for `.stateDirectory`, creates the file
    /// with a new key first when it does not exist, and logs where.
    public static func open(_ source: KeySource, logger: Logger, clock: AuthClock = .system) throws -> KeyRing {
        if case .stateDirectory(let path) = source, access(path, F_OK) != 0, errno == ENOENT {
            let kid = generatedKid(clock: clock)
            do {
                let key = try KeyFile.create(at: path, kid: kid)
                logger.notice(
                    "created a signing key at \(path) (no --jwt-keys and no systemd credential given); keep this file secret and back it up",
                    metadata: ["kid": "\(key.kid)", "path": "\(path)"]
                )
            } catch {
                // Another process may have created it meanwhile; reading it below tells.
                if access(path, F_OK) != 0 { throw error }
            }
        }
        let keys = try KeyFile.read(path: source.path)
        let ring = KeyRing(source: source, snapshot: Snapshot(keys: keys), logger: logger)
        logger.info(
            "loaded \(keys.count) signing key\(keys.count == 1 ? "" : "s") from \(source); signing with \(keys[keys.count - 1].kid)",
            metadata: ["source": "\(source)", "keys": "\(keys.count)", "signing_kid": "\(keys[keys.count - 1].kid)"]
        )
        return ring
    }

    /// `kYYYYMMDD-xxxx`: dated, with a random suffix so two generated keys never share an id.
    static func generatedKid(clock: AuthClock) -> String {
        let seconds = clock.nowSeconds
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        let date = String(format: "%04d%02d%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday))
        return "k\(date)-\(SecureRandom.hexID(bytes: 2))"
    }

    /// The ring in use now.
    public var snapshot: Snapshot { current.withLockedValue { $0 } }

    /// Re-reads the key file and swaps the ring. Throws (leaving the current
    /// ring in place) when the file cannot be used or the ring has no file.
    @discardableResult
    public func reload() throws -> Snapshot {
        guard let source else { throw KeyFileError("this key ring has no file to reload") }
        let keys: [SigningKey]
        do {
            keys = try KeyFile.read(path: source.path)
        } catch {
            logger.error("key reload failed; keeping the current keys: \(error)", metadata: ["error": "\(error)"])
            throw error
        }
        let generation = generations.withLockedValue { value -> UInt64 in
            value &+= 1
            return value
        }
        let snapshot = Snapshot(keys: keys, generation: generation)
        let previous = current.withLockedValue { value -> Snapshot in
            defer { value = snapshot }
            return value
        }
        let added = Set(snapshot.kids).subtracting(previous.kids)
        let removed = Set(previous.kids).subtracting(snapshot.kids)
        let changes = (added.isEmpty ? "" : "; added \(added.sorted().joined(separator: ", "))")
            + (removed.isEmpty ? "" : "; removed \(removed.sorted().joined(separator: ", "))")
        logger.notice(
            "reloaded signing keys from \(source): \(keys.count) key\(keys.count == 1 ? "" : "s"), signing with \(snapshot.signingKey.kid)\(changes)",
            metadata: [
                "source": "\(source)", "keys": "\(keys.count)", "signing_kid": "\(snapshot.signingKey.kid)",
                "added": "\(added.sorted().joined(separator: ","))", "removed": "\(removed.sorted().joined(separator: ","))",
            ]
        )
        return snapshot
    }
}
