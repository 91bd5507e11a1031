import CCrypt

/// Facts about the linked libxcrypt, which hashes passwords with bcrypt.
public enum CryptLibrary {
    /// The hashing method libxcrypt prefers by default (its prefix, e.g. "$y$").
    public static var preferredMethod: String {
        guard let method = crypt_preferred_method() else { return "unknown" }
        return String(cString: method)
    }

    /// Whether libxcrypt can generate bcrypt (`$2b$`) salts on this system.
    public static var supportsBcrypt: Bool {
        var salt = [CChar](repeating: 0, count: Int(CRYPT_GENSALT_OUTPUT_SIZE))
        return crypt_gensalt_rn("$2b$", 4, nil, 0, &salt, Int32(salt.count)) != nil
    }
}
