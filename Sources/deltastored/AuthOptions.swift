import ArgumentParser
import Auth
import DaemonAssembly

/// The auth options of `deltastored`.
struct AuthOptions: ParsableArguments {
    @Option(
        name: .customLong("jwt-keys"),
        help: ArgumentHelp(
            "File of JWT signing keys: one `KID BASE64URL-SECRET` per line, the last one signs, all verify; not readable by others.",
            discussion: "Default: $CREDENTIALS_DIRECTORY/jwt-keys when it exists (systemd LoadCredential=), else jwt-keys in the state directory, created with a new key when missing. Reloaded on SIGHUP.",
            valueName: "path"
        )
    )
    var jwtKeys: String?

    @Option(name: .customLong("bcrypt-cost"), help: "bcrypt cost of new password hashes (4 to 17). Stored hashes of another cost are re-hashed at their next login.")
    var bcryptCost: Int = PasswordHasher.defaultCost

    @Option(name: .customLong("access-token-ttl"), help: "Lifetime of access tokens: seconds, or a number with s, m, h or d (1m to 1d).")
    var accessTokenTTL: AuthDuration = AuthDuration(seconds: TokenSettings.defaultAccessTokenLifetime)

    @Option(name: .customLong("refresh-token-ttl"), help: "Lifetime of refresh tokens: seconds, or a number with s, m, h or d (1h to 365d, longer than the access-token lifetime).")
    var refreshTokenTTL: AuthDuration = AuthDuration(seconds: SessionSettings.defaultRefreshTokenLifetime / 1000)

    func validate() throws {
        guard PasswordHasher.costRange.contains(bcryptCost) else {
            throw ValidationError("--bcrypt-cost must be between \(PasswordHasher.costRange.lowerBound) and \(PasswordHasher.costRange.upperBound)")
        }
        guard (60...86_400).contains(accessTokenTTL.seconds) else { throw ValidationError("--access-token-ttl must be between 1m and 1d") }
        guard (3600...365 * 86_400).contains(refreshTokenTTL.seconds) else { throw ValidationError("--refresh-token-ttl must be between 1h and 365d") }
        guard refreshTokenTTL.seconds > accessTokenTTL.seconds else {
            throw ValidationError("--refresh-token-ttl must be longer than --access-token-ttl")
        }
    }

    /// What the assembly takes; `CREDENTIALS_DIRECTORY` is where systemd's `jwt-keys` credential may be.
    func configuration(credentialsDirectory: String?) -> AuthConfiguration {
        AuthConfiguration(
            jwtKeysPath: jwtKeys, credentialsDirectory: credentialsDirectory, bcryptCost: bcryptCost,
            accessTokenLifetimeSeconds: accessTokenTTL.seconds, refreshTokenLifetimeSeconds: refreshTokenTTL.seconds
        )
    }
}

/// A duration option: `900`, `900s`, `15m`, `12h`, `30d`.
struct AuthDuration: ExpressibleByArgument, Sendable, CustomStringConvertible {
    var seconds: Int64

    init(seconds: Int64) {
        self.seconds = seconds
    }

    init?(argument: String) {
        let units: [Character: Int64] = ["s": 1, "m": 60, "h": 3600, "d": 86_400]
        var text = Substring(argument)
        var unit: Int64 = 1
        if let last = text.last, let factor = units[last] {
            unit = factor
            text = text.dropLast()
        }
        guard !text.isEmpty, text.allSatisfy(\.isASCII), text.allSatisfy(\.isNumber), let value = Int64(text), value <= 100 * 365 * 86_400 else { return nil }
        seconds = value * unit
    }

    var description: String { DurationText.compact(seconds: seconds) }

    var defaultValueDescription: String { description }
}

