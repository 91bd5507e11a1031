import CCrypt
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// bcrypt (`$2b$`) through libxcrypt's reentrant calls.
///
/// Every function here blocks for the whole bcrypt computation (≈ 0.17 s at
/// cost 12 on this machine's class of hardware): call them only from a thread
/// pool (`PasswordHasher` does), never from an event loop or the Swift
/// concurrency pool. Each call allocates its own scratch area, so calls on
/// several threads at once are safe.
enum Bcrypt {
    static let prefix = "$2b$"
    /// The costs libxcrypt accepts for `$2b$`.
    static let validCosts = 4...31

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// A new setting string (`$2b$NN$` + 22 characters of salt) from the
    /// system's random source.
    static func setting(cost: Int) throws -> String {
        guard validCosts.contains(cost) else { throw Failure(description: "bcrypt cost must be between 4 and 31, got \(cost)") }
        guard let raw = crypt_gensalt_ra(prefix, UInt(cost), nil, 0) else {
            throw Failure(description: "crypt_gensalt_ra failed: \(String(cString: strerror(errno)))")
        }
        defer { free(raw) }
        return String(cString: raw)
    }

    /// `crypt(password, setting)`: the full hash string, or nil when libxcrypt
    /// refuses the setting (a malformed stored hash). The password must not
    /// contain NUL (`PasswordRule` guarantees it).
    static func crypt(_ password: String, setting: String) -> String? {
        var data: UnsafeMutableRawPointer?
        var size: Int32 = 0
        defer {
            if let data {
                // The scratch area held the password's key schedule.
                explicit_bzero(data, Int(size))
                free(data)
            }
        }
        guard let result = crypt_ra(password, setting, &data, &size) else { return nil }
        let text = String(cString: result)
        // libxcrypt reports failure with a token starting with '*' ("*0", "*1").
        guard !text.hasPrefix("*") else { return nil }
        return text
    }

    /// bcrypt's own base64 alphabet, in which salts and hashes are written.
    private static let alphabet = Array("./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)
    /// Characters of the hash part that follow the setting in a full hash.
    static let hashCharacters = 31

    /// `hashCharacters` random characters of bcrypt's alphabet: appended to a
    /// setting they make a well-formed hash that no password is known to match.
    static func randomHashCharacters() -> String {
        String(decoding: SecureRandom.bytes(hashCharacters).map { alphabet[Int($0 & 63)] }, as: UTF8.self)
    }

    /// A new hash of `password` at `cost`.
    static func hash(_ password: String, cost: Int) throws -> String {
        let setting = try setting(cost: cost)
        guard let hash = crypt(password, setting: setting) else {
            throw Failure(description: "crypt_ra refused a freshly generated bcrypt setting")
        }
        return hash
    }

    /// The cost of a bcrypt hash (`$2a$`, `$2b$`, `$2y$`), or nil for anything else.
    static func cost(of hash: String) -> Int? {
        let bytes = Array(hash.utf8)
        guard bytes.count >= 7, bytes[0] == UInt8(ascii: "$"), bytes[1] == UInt8(ascii: "2"),
              [UInt8(ascii: "a"), UInt8(ascii: "b"), UInt8(ascii: "y")].contains(bytes[2]), bytes[3] == UInt8(ascii: "$"),
              bytes[6] == UInt8(ascii: "$"),
              let tens = digit(bytes[4]), let ones = digit(bytes[5])
        else { return nil }
        return tens * 10 + ones
    }

    private static func digit(_ byte: UInt8) -> Int? {
        byte >= 0x30 && byte <= 0x39 ? Int(byte - 0x30) : nil
    }
}
