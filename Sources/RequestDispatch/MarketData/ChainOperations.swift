import BSONCore
import Domain
import WireProtocol

/// `chains.insert`, `chains.query`, `chains.latest`.
enum ChainOperations {
    static func all(store: any MarketStore, limits: DaemonLimits, cursorKey: CursorKey) -> [Operation] {
        [insert(store.chains, limits), query(store.chains, limits, cursorKey), latest(store.chains)]
    }

    static let insertDescriptor = OperationDescriptor(
        name: "chains.insert", group: .write,
        summary: "Store a batch of option-chain snapshots, all or nothing; a chain with the product, expiry and timestamp of a stored one is a duplicate when its document is the same, else a conflict (not stored, its position in `conflicts`).",
        arguments: [.init("chains", "array<document>", required: true, "1 to max_batch chains {product, expiry, timestamp, …extra (calls, puts, pcr_oi, …)}.")],
        result: insertResultNotation
    )

    static func insert(_ chains: any ChainRepository, _ limits: DaemonLimits) -> Operation {
        return Operation(insertDescriptor) { arguments, context in
            let records = try parseBatch(arguments, limits: limits)
            return AsyncWork.run(context) { insertResult(try await chains.insert(records)) }
        }
    }

    /// `chains.insert`'s `chains`, each item validated (all before anything is written).
    static func parseBatch(_ arguments: Arguments, limits: DaemonLimits) throws -> [Chain] {
        try validateBatch(try arguments.batch("chains", maximum: limits.maxBatch), field: "chains", Chain.init(document:))
    }

    static let queryDescriptor = OperationDescriptor(
        name: "chains.query", group: .read,
        summary: "A product's chain snapshots (optionally of one expiry), newest first by default, keyset-paginated; `fields` returns only the named top-level fields (plus product, expiry, timestamp), e.g. a PCR history.",
        arguments: [
            .init("product", "string", required: true, "Product name."),
            .init("expiry", "string", "Expiry date YYYY-MM-DD."),
        ] + TickOperations.rangeArguments + [
            .init("limit", "int32|int64", "Page size, 1 to max_page (default 10)."),
        ] + TickOperations.pageArguments + [
            .init("fields", "array<string>", "Top-level fields to return (1 to 64 names)."),
        ],
        result: "{product: string, count: int32, chains: [chain], next?: string}"
    )

    static func query(_ chains: any ChainRepository, _ limits: DaemonLimits, _ cursorKey: CursorKey) -> Operation {
        return Operation(queryDescriptor) { arguments, context in
            let query = try Self.parseQuery(arguments, limits: limits, cursorKey: cursorKey)
            let product = query.product
            return AsyncWork.run(context) {
                let page = try await chains.query(query)
                return pageResult([("product", .string(product))], key: "chains", documents: page.records.map(\.document), next: page.next, cursorKey: cursorKey)
            }
        }
    }

    /// `chains.query`'s arguments as a query, checked in the order §14.2.14 gives.
    static func parseQuery(_ arguments: Arguments, limits: DaemonLimits, cursorKey: CursorKey) throws -> ChainQuery {
        var query = ChainQuery(
            product: try arguments.requiredName("product"),
            expiry: try arguments.expiry("expiry"),
            range: try arguments.timeRange(),
            limit: try arguments.limit(default: 10, maximum: limits.maxPage),
            order: try arguments.order(),
            fields: try fields(arguments)
        )
        query.after = try arguments.cursor(for: query.identity, key: cursorKey)
        return query
    }

    static func fields(_ arguments: Arguments) throws -> [String]? {
        guard let values = try arguments.array("fields", type: "array<string>") else { return nil }
        guard (1...64).contains(values.count) else {
            throw WireError.invalidArgument(field: "fields", reason: "must name 1 to 64 fields")
        }
        var names: [String] = []
        for (index, value) in values.enumerated() {
            let path = "fields.\(index)"
            guard case .string(let name) = value else { throw Arguments.wrongType(path, "string", value) }
            guard name.utf8.count <= 64 else { throw WireError.invalidArgument(field: path, reason: "longer than 64 bytes") }
            try Arguments.checkKey(name, path: path)
            if !names.contains(name) { names.append(name) }
        }
        return names
    }

    static let latestDescriptor = OperationDescriptor(
        name: "chains.latest", group: .read,
        summary: "The newest chain snapshot of a product and expiry.",
        arguments: [
            .init("product", "string", required: true, "Product name."),
            .init("expiry", "string", required: true, "Expiry date YYYY-MM-DD."),
        ],
        result: "{chain: chain}",
        errors: [.notFound]
    )

    static func latest(_ chains: any ChainRepository) -> Operation {
        return Operation(latestDescriptor) { arguments, context in
            let product = try arguments.requiredName("product")
            let expiry = try arguments.requiredExpiry("expiry")
            return AsyncWork.run(context) {
                guard let chain = try await chains.latest(product: product, expiry: expiry) else {
                    throw WireError(.notFound, "no chain for product '\(product)' expiry \(expiry)")
                }
                return ["chain": .document(chain.document)]
            }
        }
    }
}
