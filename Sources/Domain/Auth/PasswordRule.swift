/// What a password must be.
///
/// bcrypt reads at most 72 bytes of a password and silently ignores the rest,
/// and the C interface stops at the first NUL byte. Either would make two
/// different passwords equal, so both are refused instead of truncated: a
/// password is 8 to 72 bytes of UTF-8 without NUL.
///
/// At login the lower bound is 1 byte instead of 8, so that accounts imported
/// from DeltaStream (which allowed 6 characters) can still sign in; the upper
/// bound and the NUL rule hold everywhere, since bcrypt would otherwise accept
/// a 73-byte guess that starts with the right 72 bytes.
///
/// Error reasons never contain the password.
public enum PasswordRule {
    public static let minimumBytes = 8
    public static let maximumBytes = 72

    /// The rule for a new password (`auth.register`).
    public static func checkNew(_ password: String, field: String = "password") throws(FieldError) {
        try check(password, minimumBytes: minimumBytes, field: field)
    }

    /// The rule for a password presented at login.
    public static func checkPresented(_ password: String, field: String = "password") throws(FieldError) {
        try check(password, minimumBytes: 1, field: field)
    }

    private static func check(_ password: String, minimumBytes: Int, field: String) throws(FieldError) {
        let count = password.utf8.count
        if count == 0 { throw FieldError(field, "required (a non-empty password)") }
        if count < minimumBytes { throw FieldError(field, "must be at least \(minimumBytes) bytes of UTF-8") }
        if count > maximumBytes {
            throw FieldError(field, "must be at most \(maximumBytes) bytes of UTF-8 (bcrypt ignores anything longer, so longer passwords are refused, not truncated)")
        }
        if password.utf8.contains(0) { throw FieldError(field, "must not contain a NUL character") }
    }
}
