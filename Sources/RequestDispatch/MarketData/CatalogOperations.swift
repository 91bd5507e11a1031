import BSONCore
import Domain
import WireProtocol

/// `products.list`, `expiries.list`, `health`.
enum CatalogOperations {
    static func all(store: any MarketStore, info: ServerInfo) -> [Operation] {
        [health(store, info), products(store.catalog), expiries(store.catalog)]
    }

    static let healthDescriptor = OperationDescriptor(
        name: "health", group: .read,
        summary: "Whether the daemon and its store answer. `degraded` when the store does not (the daemon keeps serving what it can); `failed` when the store cannot be used until the daemon is restarted (its SQLite file was removed, replaced or is corrupt: writes are refused).",
        result: "{status: \"ok\"|\"degraded\"|\"failed\", store: {kind: string, ok: bool, error?: string (an error code, e.g. UNAVAILABLE), reason?: string (failed only)}, uptime_s: int64}"
    )

    static func health(_ store: any MarketStore, _ info: ServerInfo) -> Operation {
        let kind = store.kind
        return Operation(healthDescriptor) { _, context in
            AsyncWork.run(context) {
                var storeStatus: [(String, BSONValue)] = [("kind", .string(kind))]
                let status: String
                switch await store.health() {
                case .ok:
                    status = "ok"
                    storeStatus.append(("ok", .bool(true)))
                case .degraded(let error):
                    // The code only: a store's own message may name hosts and is for the log.
                    status = "degraded"
                    storeStatus.append(("ok", .bool(false)))
                    storeStatus.append(("error", .string(Dispatcher.wireError(error, op: "health", logger: context.logger).code.rawValue)))
                case .failed(let reason):
                    // A failed store's reason names its file and what happened to it.
                    status = "failed"
                    storeStatus.append(("ok", .bool(false)))
                    storeStatus.append(("error", .string(ErrorCode.unavailable.rawValue)))
                    storeStatus.append(("reason", .string(reason)))
                }
                return [
                    "status": .string(status),
                    "store": .document(BSONDocument(storeStatus)),
                    "uptime_s": .int64(info.uptimeSeconds),
                ]
            }
        }
    }

    static let productsDescriptor = OperationDescriptor(
        name: "products.list", group: .read,
        summary: "Every product with ticks, quotes or chains, sorted.",
        result: "{products: [string]}"
    )

    static func products(_ catalog: any CatalogRepository) -> Operation {
        return Operation(productsDescriptor) { _, context in
            AsyncWork.run(context) {
                ["products": .array(try await catalog.products().map { .string($0) })]
            }
        }
    }

    static let expiriesDescriptor = OperationDescriptor(
        name: "expiries.list", group: .read,
        summary: "A product's expiries (from its quotes and chains), ascending.",
        arguments: [.init("product", "string", required: true, "Product name.")],
        result: "{product: string, expiries: [string]}"
    )

    static func expiries(_ catalog: any CatalogRepository) -> Operation {
        return Operation(expiriesDescriptor) { arguments, context in
            let product = try arguments.requiredName("product")
            return AsyncWork.run(context) {
                ["product": .string(product), "expiries": .array(try await catalog.expiries(product: product).map { .string($0) })]
            }
        }
    }
}
