import BSONCore
import Domain
import WireProtocol

/// `products.list`, `expiries.list`, `health`.
enum CatalogOperations {
    static func all(store: any MarketStore, info: ServerInfo) -> [Operation] {
        [health(store, info), products(store.catalog), expiries(store.catalog)]
    }

    static func health(_ store: any MarketStore, _ info: ServerInfo) -> Operation {
        let descriptor = OperationDescriptor(
            name: "health", group: .read,
            summary: "Whether the daemon and its store answer. `degraded` when the store does not (the daemon keeps serving what it can).",
            result: "{status: \"ok\"|\"degraded\", store: {kind: string, ok: bool, error?: string (an error code, e.g. UNAVAILABLE)}, uptime_s: int64}"
        )
        let kind = store.kind
        return Operation(descriptor) { args, context in
            _ = try Arguments(args, allowed: [])
            return AsyncWork.run(context) {
                var storeStatus: [(String, BSONValue)] = [("kind", .string(kind))]
                var healthy = true
                do {
                    try await store.ping()
                    storeStatus.append(("ok", .bool(true)))
                } catch {
                    // The code only: a store's own message may name hosts and is for the log.
                    healthy = false
                    storeStatus.append(("ok", .bool(false)))
                    storeStatus.append(("error", .string(Dispatcher.wireError(error, op: "health", logger: context.logger).code.rawValue)))
                }
                return [
                    "status": .string(healthy ? "ok" : "degraded"),
                    "store": .document(BSONDocument(storeStatus)),
                    "uptime_s": .int64(info.uptimeSeconds),
                ]
            }
        }
    }

    static func products(_ catalog: any CatalogRepository) -> Operation {
        let descriptor = OperationDescriptor(
            name: "products.list", group: .read,
            summary: "Every product with ticks, quotes or chains, sorted.",
            result: "{products: [string]}"
        )
        return Operation(descriptor) { args, context in
            _ = try Arguments(args, allowed: [])
            return AsyncWork.run(context) {
                ["products": .array(try await catalog.products().map { .string($0) })]
            }
        }
    }

    static func expiries(_ catalog: any CatalogRepository) -> Operation {
        let descriptor = OperationDescriptor(
            name: "expiries.list", group: .read,
            summary: "A product's expiries (from its quotes and chains), ascending.",
            arguments: [.init("product", "string", required: true, "Product name.")],
            result: "{product: string, expiries: [string]}"
        )
        return Operation(descriptor) { args, context in
            let arguments = try Arguments(args, allowed: ["product"])
            let product = try arguments.name("product") ?? ""
            return AsyncWork.run(context) {
                ["product": .string(product), "expiries": .array(try await catalog.expiries(product: product).map { .string($0) })]
            }
        }
    }
}
