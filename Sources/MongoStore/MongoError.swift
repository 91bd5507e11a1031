import BSONCore
import CMongoC
import Domain

/// An error libmongoc reported: its `bson_error_t` (domain, code, message)
/// and, when the server answered, the reply document.
///
/// It exists to decide, in one place, which failures mean "MongoDB cannot be
/// reached or cannot take this right now" (`StoreError.unavailable`: the
/// client may retry) and which are anything else (`StoreError.failure`:
/// logged, reported to the client as INTERNAL without details).
struct MongoError: Error, CustomStringConvertible {
    var domain: UInt32
    var code: UInt32
    var message: String
    var reply: BSONDocument?

    init(domain: UInt32, code: UInt32, message: String, reply: BSONDocument? = nil) {
        self.domain = domain
        self.code = code
        self.message = message
        self.reply = reply
    }

    init(_ error: bson_error_t, reply: BSONDocument? = nil) {
        var copy = error
        let message = withUnsafeBytes(of: &copy.message) { raw -> String in
            let bytes = raw.prefix { $0 != 0 }
            return String(decoding: bytes, as: UTF8.self)
        }
        self.init(domain: error.domain, code: error.code, message: message, reply: reply)
    }

    var description: String { "MongoDB error (domain \(domain), code \(code)): \(message)" }

    /// Server error codes that mean the deployment is (for now) unable to
    /// serve: shutting down, electing a primary, unreachable members, time
    /// limits. The driver specifications call these retryable or state-change
    /// errors.
    static let transientServerCodes: Set<UInt32> = [
        6, // HostUnreachable
        7, // HostNotFound
        50, // MaxTimeMSExpired
        64, // WriteConcernFailed (wtimeout)
        89, // NetworkTimeout
        91, // ShutdownInProgress
        133, // FailedToSatisfyReadPreference
        134, // ReadConcernMajorityNotAvailableYet
        189, // PrimarySteppedDown
        262, // ExceededTimeLimit
        9001, // SocketException
        10107, // NotWritablePrimary
        11600, // InterruptedAtShutdown
        11602, // InterruptedDueToReplStateChange
        13435, // NotPrimaryNoSecondaryOk
        13436, // NotPrimaryOrSecondary
    ]

    /// Whether the operation failed because MongoDB could not be reached or
    /// could not serve it now.
    var isUnavailable: Bool {
        switch domain {
        case MONGOC_ERROR_STREAM.rawValue, MONGOC_ERROR_SERVER_SELECTION.rawValue, MONGOC_ERROR_PROTOCOL.rawValue,
             MONGOC_ERROR_WRITE_CONCERN.rawValue:
            return true
        case MONGOC_ERROR_CLIENT.rawValue:
            return code == MONGOC_ERROR_CLIENT_NOT_READY.rawValue || code == MONGOC_ERROR_CLIENT_IN_EXHAUST.rawValue
        default:
            if Self.transientServerCodes.contains(code) { return true }
            if let labels = reply?["errorLabels"]?.arrayValue {
                return labels.contains { $0 == .string("NetworkError") || $0 == .string("RetryableWriteError") }
            }
            return false
        }
    }

    /// The reason given to clients with UNAVAILABLE: what happened, without
    /// host names or server messages.
    var unavailableReason: String {
        switch domain {
        case MONGOC_ERROR_SERVER_SELECTION.rawValue:
            return "no MongoDB server could be selected within the server selection timeout"
        case MONGOC_ERROR_STREAM.rawValue, MONGOC_ERROR_PROTOCOL.rawValue:
            return "the connection to MongoDB failed"
        case MONGOC_ERROR_WRITE_CONCERN.rawValue:
            return "MongoDB did not confirm the write concern in time (the write may have been applied; retry the batch)"
        default:
            return "MongoDB cannot serve the request right now (code \(code))"
        }
    }

    /// The domain's view of this error.
    var storeError: StoreError {
        isUnavailable ? .unavailable(unavailableReason) : .failure(description)
    }
}
