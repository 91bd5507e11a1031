import Domain

/// The MongoDB store keeps users (`users`, DeltaStream's collection) and
/// sessions (`sessions`) too, so the daemon offers the `auth.*` operations on
/// it. The repositories share the store's client pool and thread pool; see
/// `MongoSessionRepository` for why rotation is not one transaction here.
extension MongoMarketStore: AuthStore {}
