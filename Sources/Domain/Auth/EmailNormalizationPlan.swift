/// What it takes to bring stored accounts to the current `EmailAddress`
/// normal form: the stores run it once (SQLite: schema migration 5; MongoDB:
/// at the first start of a deltastored that has it) so that accounts made
/// under the older form (trimmed and lower-cased only) keep working.
///
/// For each stored email, its normal form is `EmailAddress.normalize` of it.
/// - Already in normal form: nothing to do.
/// - Otherwise the stored email is rewritten to its normal form, unless
///   another account has that form: an account already in normal form keeps
///   it, else the oldest (by creation time, then id) gets it. The others are
///   *conflicts*: left as they are (no input reaches them any more, since
///   every input is normalized) and reported, for an operator to resolve —
///   they are the look-alike pairs the old form allowed.
/// - A stored email the rules now refuse (a zero-width or bidi character,
///   say) is left as it is and reported as *refused*.
/// Rewrites never collide with each other or with a kept email, so they may
/// be applied in any order under a unique index. Emails are compared as
/// bytes, as the stores compare them.
public struct EmailNormalizationPlan: Sendable, Equatable {
    /// One stored account, as the plan needs it.
    public struct Account: Sendable, Equatable {
        public var id: String
        public var email: String
        public var createdAt: Int64

        public init(id: String, email: String, createdAt: Int64) {
            self.id = id
            self.email = email
            self.createdAt = createdAt
        }
    }

    public struct Rewrite: Sendable, Equatable {
        public var id: String
        public var from: String
        public var to: String

        public init(id: String, from: String, to: String) {
            self.id = id
            self.from = from
            self.to = to
        }
    }

    public struct Conflict: Sendable, Equatable {
        public var id: String
        public var email: String
        /// The account that has the normal form both map to.
        public var keptBy: String

        public init(id: String, email: String, keptBy: String) {
            self.id = id
            self.email = email
            self.keptBy = keptBy
        }
    }

    public struct Refusal: Sendable, Equatable {
        public var id: String
        public var email: String
        public var reason: String
    }

    public var rewrites: [Rewrite] = []
    public var conflicts: [Conflict] = []
    public var refused: [Refusal] = []

    public init(_ accounts: [Account]) {
        var groups: [String: [Account]] = [:]
        for account in accounts {
            do {
                let normal = try EmailAddress(normalizing: account.email).value
                groups[normal, default: []].append(account)
            } catch {
                refused.append(Refusal(id: account.id, email: account.email, reason: error.reason))
            }
        }
        // Swift's `==` on strings is canonical equivalence (a decomposed é
        // equals a composed one); a store compares bytes, so this does too.
        func same(_ a: String, _ b: String) -> Bool { a.utf8.elementsEqual(b.utf8) }
        for normal in groups.keys.sorted() {
            let members = groups[normal] ?? []
            let keeper = members.first { same($0.email, normal) }
                ?? members.min { ($0.createdAt, $0.id) < ($1.createdAt, $1.id) }
            guard let keeper else { continue }
            if !same(keeper.email, normal) { rewrites.append(Rewrite(id: keeper.id, from: keeper.email, to: normal)) }
            for member in members where member.id != keeper.id {
                conflicts.append(Conflict(id: member.id, email: member.email, keptBy: keeper.id))
            }
        }
        refused.sort { $0.id < $1.id }
    }

    public var isEmpty: Bool { rewrites.isEmpty && conflicts.isEmpty && refused.isEmpty }

    /// What an operator must know, one line each, naming accounts by id only
    /// (an email field sometimes holds a mistyped password).
    public var warnings: [String] {
        conflicts.map { "user \($0.id): email left as it was: its normal form belongs to user \($0.keptBy); this account cannot log in until an operator resolves it" }
            + refused.map { "user \($0.id): stored email left as it was: the current rules refuse it (\($0.reason)); this account cannot log in" }
    }
}
