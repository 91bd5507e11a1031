import BSONCore

/// An option chain snapshot: `{product, expiry, timestamp, …extra}` where the
/// extra fields hold the analytics (spot_price, pcr_oi, pcr_volume, atm_strike,
/// max_pain_strike, …) and the `calls`/`puts` arrays of quotes.
public struct Chain: Sendable, Equatable {
    public let product: String
    public let expiry: String
    public let timestamp: Int64
    public let document: BSONDocument

    public init(document: BSONDocument) throws(FieldError) {
        try FieldRules.storableKeys(document)
        product = try FieldRules.name(document["product"], field: "product")
        expiry = try FieldRules.expiry(document["expiry"], field: "expiry")
        timestamp = try FieldRules.datetime(document["timestamp"], field: "timestamp")
        if let spot = document["spot_price"] {
            _ = try FieldRules.positiveNumber(spot, field: "spot_price")
        }
        for side in ["calls", "puts"] {
            guard let value = document[side] else { continue }
            guard case .array(let quotes) = value else { throw FieldError(side, "must be an array of quotes, got \(value.typeName)") }
            for (index, element) in quotes.enumerated() {
                let path = "\(side).\(index)"
                guard case .document(let quote) = element else { throw FieldError(path, "must be a document, got \(element.typeName)") }
                if let strike = quote["strike"] {
                    _ = try FieldRules.positiveNumber(strike, field: path + ".strike")
                }
            }
        }
        self.document = document
    }

    public init(stored document: BSONDocument, product: String, expiry: String, timestamp: Int64) {
        self.product = product
        self.expiry = expiry
        self.timestamp = timestamp
        self.document = document
    }
}
