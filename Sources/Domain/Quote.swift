import BSONCore

/// An option quote: `{symbol, product, strike, expiry, option_type, timestamp, …extra}`
/// (bid, ask, last, volume, open interest and the greeks travel as extra fields).
public struct Quote: Sendable, Equatable {
    public enum OptionType: String, Sendable, CaseIterable {
        case call = "CALL"
        case put = "PUT"
    }

    public let symbol: String
    public let product: String
    public let strike: Double
    public let expiry: String
    public let optionType: OptionType
    public let timestamp: Int64
    public let document: BSONDocument

    public init(document: BSONDocument) throws(FieldError) {
        try FieldRules.storableKeys(document)
        symbol = try FieldRules.name(document["symbol"], field: "symbol")
        product = try FieldRules.name(document["product"], field: "product")
        strike = try FieldRules.positiveNumber(document["strike"], field: "strike")
        expiry = try FieldRules.expiry(document["expiry"], field: "expiry")
        optionType = try Self.optionType(document["option_type"], field: "option_type")
        timestamp = try FieldRules.datetime(document["timestamp"], field: "timestamp")
        self.document = document
    }

    public init(stored document: BSONDocument, symbol: String, product: String, strike: Double, expiry: String, optionType: OptionType, timestamp: Int64) {
        self.symbol = symbol
        self.product = product
        self.strike = strike
        self.expiry = expiry
        self.optionType = optionType
        self.timestamp = timestamp
        self.document = document
    }

    public static func optionType(_ value: BSONValue?, field: String) throws(FieldError) -> OptionType {
        guard let value else { throw FieldError(field, "required") }
        guard case .string(let s) = value, let type = OptionType(rawValue: s) else {
            throw FieldError(field, "must be \"CALL\" or \"PUT\"")
        }
        return type
    }
}
