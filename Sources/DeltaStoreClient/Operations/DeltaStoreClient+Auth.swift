import BSONCore

extension DeltaStoreClient {
    /// `auth.register`: creates a user and logs it in. `CONFLICT` when the
    /// email is taken, `INVALID_ARGUMENT` for a bad email or password.
    /// `client` names the end user behind a front (see `login`).
    public func register(email: String, password: String, name: String? = nil, client: String? = nil, deadline: Duration? = nil) async throws -> Session {
        var args = ArgumentList()
        args.add("email", email)
        args.add("password", password)
        args.add("name", name)
        args.add("client", client)
        return try Session(try await call("auth.register", args.document, deadline: deadline), op: "auth.register")
    }

    /// `auth.login`: `UNAUTHENTICATED` for an unknown email or a wrong password
    /// alike, `RATE_LIMITED` (see `retryAfterMilliseconds`) after repeated failures.
    ///
    /// `client` (1 to 64 printable ASCII characters, e.g. an HTTP client's
    /// address) names the end user when this process is a front for many
    /// people: the daemon then throttles that client, not this process's uid.
    /// Only peers whose access rules grant `forward` may give it
    /// (`PERMISSION_DENIED` otherwise).
    public func login(email: String, password: String, client: String? = nil, deadline: Duration? = nil) async throws -> Session {
        var args = ArgumentList()
        args.add("email", email)
        args.add("password", password)
        args.add("client", client)
        return try Session(try await call("auth.login", args.document, deadline: deadline), op: "auth.login")
    }

    /// `auth.verify`: checks an access token; `TOKEN_EXPIRED`, `TOKEN_INVALID`
    /// or `TOKEN_REVOKED` when it is not valid.
    public func verify(token: String, deadline: Duration? = nil) async throws -> VerifiedToken {
        try VerifiedToken(try await call("auth.verify", ["token": .string(token)], deadline: deadline))
    }

    /// `auth.refresh`: exchanges a refresh token for new tokens.
    public func refresh(refreshToken: String, deadline: Duration? = nil) async throws -> RefreshedTokens {
        try RefreshedTokens(try await call("auth.refresh", ["refresh_token": .string(refreshToken)], deadline: deadline))
    }

    /// `auth.logout`: revokes the session of a refresh and/or access token (or
    /// every session of its user); returns how many sessions were revoked.
    @discardableResult
    public func logout(refreshToken: String? = nil, token: String? = nil, allSessions: Bool? = nil, deadline: Duration? = nil) async throws -> Int {
        var args = ArgumentList()
        args.add("refresh_token", refreshToken)
        args.add("token", token)
        args.add("all_sessions", allSessions)
        return try ResultReader(try await call("auth.logout", args.document, deadline: deadline), op: "auth.logout").int("revoked")
    }
}
