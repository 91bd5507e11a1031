extension SessionService {
    /// `verify`'s answer for an access token the token service remembers as
    /// verified and whose session is not revoked, read from the token's
    /// UTF-8 bytes where they are; nil otherwise (then `verify` decides, and
    /// says why). Allocates nothing: the server answers repeated
    /// `auth.verify` calls with it inline.
    public func verifyCached(_ token: UnsafeRawBufferPointer) -> VerifiedAccessToken? {
        guard let verified = tokens.verifyCached(token), !revocations.isRevoked(verified.sessionID) else { return nil }
        return verified
    }
}
