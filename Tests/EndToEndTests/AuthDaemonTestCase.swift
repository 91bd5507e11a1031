import BSONCore
import Foundation
import TestSupport
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Base of the auth end-to-end tests: a daemon with auth on a SQLite file in
/// the test's directory (run by `driver`), and request helpers over a raw socket.
class AuthDaemonTestCase: DaemonTestCase {
    static func randomSecret(bytes: Int = 32) -> String {
        var generator = SystemRandomNumberGenerator()
        let data = Data((0..<bytes).map { _ in UInt8.random(in: 0...255, using: &generator) })
        return data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// Writes a key file (mode 0600 unless told otherwise) and returns its path.
    @discardableResult
    func writeKeys(_ lines: [String], name: String = "jwt-keys", mode: Int = 0o600) throws -> String {
        let path = directory.file(name)
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, mode_t(mode))
        return path
    }

    @discardableResult
    func authDaemon(cost: Int = 4, keys: String? = nil, extra: [String] = [], environment: [String: String] = ["CREDENTIALS_DIRECTORY": ""]) throws -> any DaemonUnderTest {
        var arguments = ["--store", "sqlite:" + directory.file("auth.db"), "--bcrypt-cost", String(cost)]
        if let keys { arguments += ["--jwt-keys", keys] }
        return try serveDaemon(arguments: arguments + extra, environment: environment)
    }

    var nextID: Int32 = 0

    func call(_ socket: RawSocket, _ op: String, _ args: BSONDocument = BSONDocument()) throws -> BSONDocument {
        nextID += 1
        try socket.send(RequestBuilder.request(id: .int32(nextID), op: op, args: args))
        guard let reply = try socket.receiveDocument() else { throw TestSupportError("connection closed during \(op)") }
        XCTAssertEqual(reply["id"], .int32(nextID))
        return reply
    }

    func ok(_ reply: BSONDocument, file: StaticString = #filePath, line: UInt = #line) -> BSONDocument {
        XCTAssertEqual(reply["ok"], .bool(true), "\(reply)", file: file, line: line)
        return reply["result"]?.documentValue ?? BSONDocument()
    }

    func code(_ reply: BSONDocument) -> String? {
        reply["error"]?.documentValue?["code"]?.stringValue
    }

    func kid(of token: String) -> String? {
        guard let header = token.split(separator: ".").first else { return nil }
        var text = header.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        guard let data = Data(base64Encoded: text), let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else { return nil }
        return object["kid"] as? String
    }

    func waitForLog(_ daemon: any DaemonUnderTest, _ text: String, timeout: TimeInterval = 10) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if daemon.log.contains(text) { return true }
            usleep(20_000)
        }
        return false
    }
}
