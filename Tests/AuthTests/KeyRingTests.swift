@testable import Auth
import Foundation
import TestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The key file format, its permission rule, the generated default key, and reload.
@Suite("Key ring")
struct KeyRingTests {
    static let secretA = Base64URL.encode((0..<32).map { UInt8($0) })
    static let secretB = Base64URL.encode((0..<48).map { UInt8(200 &- $0) })

    func write(_ text: String, to path: String, mode: mode_t = 0o600) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        chmod(path, mode)
    }

    func fileError(_ body: () throws -> Void) -> String? {
        do {
            try body()
            return nil
        } catch {
            return String(describing: error)
        }
    }

    @Test func theFormatIsOneKeyPerLineAndTheLastSigns() throws {
        let keys = try KeyFile.parse(
            """
            # a comment

            2024-03 \(Self.secretA)
            \t2024-06\t\t\(Self.secretB)==\r

            """,
            path: "keys"
        )
        #expect(keys.map(\.kid) == ["2024-03", "2024-06"])
        #expect(keys[0].secret == (0..<32).map { UInt8($0) })
        #expect(keys[1].secret.count == 48)
        #expect(KeyFile.line(for: keys[0]) == "2024-03 \(Self.secretA)")
        #expect(!String(describing: keys[0]).contains(Self.secretA), "a key prints as its id only")
    }

    @Test func badFilesAreRefusedWholeWithTheLineAndReason() throws {
        let short = Base64URL.encode([UInt8](repeating: 9, count: 31))
        let cases: [(String, String)] = [
            ("", "no keys"),
            ("# only a comment\n", "no keys"),
            ("k1 \(short)\n", "keys:1: the secret of key 'k1' is 31 bytes; at least 32"),
            ("k1 \(Self.secretA)\nk2 \(short)\n", "keys:2:"),
            ("k1\n", "expected `KID SECRET`"),
            ("k1 \(Self.secretA) extra\n", "found 3 fields"),
            ("k1 \(Self.secretA)\nk1 \(Self.secretB)\n", "appears more than once"),
            ("k/1 \(Self.secretA)\n", "key id must be"),
            ("k1 \(Self.secretA.replacingOccurrences(of: "A", with: "+"))\n", "not base64url"),
            ("k1 not-base64url!\n", "not base64url"),
        ]
        for (text, expected) in cases {
            let message = fileError { _ = try KeyFile.parse(text, path: "keys") }
            #expect(message?.contains(expected) == true, "\(text.debugDescription): \(message ?? "accepted")")
            #expect(message?.contains(Self.secretA) != true, "never the secret")
        }
    }

    @Test func aFileOthersCanReadIsRefused() throws {
        let directory = try TemporaryDirectory(prefix: "ds-keys")
        defer { directory.remove() }
        let path = directory.file("jwt-keys")
        try write("k1 \(Self.secretA)\n", to: path, mode: 0o644)
        #expect(fileError { _ = try KeyFile.read(path: path) }?.contains("others may read or write it") == true)
        chmod(path, 0o602)
        #expect(fileError { _ = try KeyFile.read(path: path) } != nil)
        for mode: mode_t in [0o600, 0o640, 0o400] {
            chmod(path, mode)
            #expect(try KeyFile.read(path: path).map(\.kid) == ["k1"], "mode \(String(mode, radix: 8))")
        }
        #expect(fileError { _ = try KeyFile.read(path: directory.file("missing")) }?.contains("cannot open") == true)
        #expect(fileError { _ = try KeyFile.read(path: directory.path) } != nil, "a directory is not a key file")
    }

    @Test func withoutAConfiguredFileAKeyIsCreatedInTheStateDirectoryOnce() async throws {
        let directory = try TemporaryDirectory(prefix: "ds-keys")
        defer { directory.remove() }
        let source = KeySource.resolve(explicitPath: nil, environment: [:], stateDirectory: directory.file("state"))
        #expect(source == .stateDirectory(path: directory.file("state/jwt-keys")))
        let log = CapturedLog()
        let ring = try KeyRing.open(source, logger: log.logger)
        var info = stat()
        #expect(stat(source.path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600)
        let key = ring.snapshot.signingKey
        #expect(key.secret.count == 32)
        #expect(key.kid.hasPrefix("k20"))
        #expect(log.text.contains("created a signing key at \(source.path)"))
        #expect(!log.text.contains(Base64URL.encode(key.secret)), "the key itself is never logged")

        // A second start reads the same key and creates nothing.
        let again = CapturedLog()
        let reopened = try KeyRing.open(source, logger: again.logger)
        #expect(reopened.snapshot.signingKey.kid == key.kid)
        #expect(reopened.snapshot.signingKey.secret == key.secret)
        #expect(!again.text.contains("created a signing key"))
    }

    @Test func theSourceIsTheOptionThenTheCredentialThenTheStateDirectory() throws {
        let directory = try TemporaryDirectory(prefix: "ds-keys")
        defer { directory.remove() }
        let credentials = directory.file("creds")
        mkdir(credentials, 0o700)
        #expect(KeySource.resolve(explicitPath: "/etc/k", environment: ["CREDENTIALS_DIRECTORY": credentials], stateDirectory: "/s") == .configured(path: "/etc/k"))
        #expect(KeySource.resolve(explicitPath: nil, environment: ["CREDENTIALS_DIRECTORY": credentials], stateDirectory: "/s") == .stateDirectory(path: "/s/jwt-keys"), "no jwt-keys credential")
        try write("k1 \(Self.secretA)\n", to: credentials + "/jwt-keys", mode: 0o400)
        #expect(KeySource.resolve(explicitPath: nil, environment: ["CREDENTIALS_DIRECTORY": credentials], stateDirectory: "/s") == .credential(path: credentials + "/jwt-keys"))
    }

    @Test func reloadSwapsTheRingAndABadFileKeepsTheOldOne() async throws {
        let directory = try TemporaryDirectory(prefix: "ds-keys")
        defer { directory.remove() }
        let path = directory.file("jwt-keys")
        try write("old \(Self.secretA)\n", to: path)
        let log = CapturedLog()
        let ring = try KeyRing.open(.configured(path: path), logger: log.logger)
        let clock = ManualClock()
        let tokens = TokenService(keyRing: ring, clock: clock.clock)
        let oldToken = tokens.issue(userID: "u", email: "e@x", sessionID: "s")
        #expect(oldToken.kid == "old")

        // Rotation: append a key, reload; new tokens carry it, old ones still verify.
        try write("old \(Self.secretA)\nnew \(Self.secretB)\n", to: path)
        try ring.reload()
        #expect(ring.snapshot.kids == ["old", "new"])
        let newToken = tokens.issue(userID: "u", email: "e@x", sessionID: "s")
        #expect(newToken.kid == "new")
        _ = try tokens.verify(oldToken.token)
        #expect(Array(oldToken.token.utf8).withUnsafeBytes { tokens.verifyCached($0) } != nil)
        #expect(log.text.contains("reloaded signing keys"))

        // A broken file: the reload fails and the ring stays as it was.
        try write("new \(Base64URL.encode([UInt8](repeating: 1, count: 8)))\n", to: path)
        #expect(throws: KeyFileError.self) { try ring.reload() }
        #expect(ring.snapshot.kids == ["old", "new"])
        try write("new \(Self.secretB)\n", to: path, mode: 0o666)
        #expect(throws: KeyFileError.self) { try ring.reload() }
        #expect(ring.snapshot.kids == ["old", "new"])

        // Retiring the old key: its tokens stop verifying.
        try write("new \(Self.secretB)\n", to: path)
        try ring.reload()
        #expect(Array(oldToken.token.utf8).withUnsafeBytes { tokens.verifyCached($0) } == nil, "remembered under the old ring: checked again")
        #expect(await authError { _ = try tokens.verify(oldToken.token) }?.code == "TOKEN_INVALID")
        _ = try tokens.verify(newToken.token)
    }
}
