import Auth
import BSONCore
import MongoStore
import SQLiteStore
import WireProtocol

/// The `--version` text: the daemon's version, the protocol version, and the
/// native libraries it was linked with (what an operator checks first when a
/// host behaves differently from another).
enum VersionText {
    static var full: String {
        """
        deltastored \(ProtocolVersion.serverVersion) (protocol \(ProtocolVersion.current))
        libbson \(BSONLibrary.version), libmongoc \(MongoCLibrary.version), SQLite \(SQLiteLibrary.version), libxcrypt bcrypt \(CryptLibrary.supportsBcrypt ? "available" : "MISSING")
        """
    }
}
