import Foundation
import TestSupport
import XCTest

/// The shipped units and the install scripts.
final class SystemdUnitTests: XCTestCase {
    private func script(_ name: String, environment: [String: String]) throws -> (status: Int32, output: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/bash")
        process.arguments = [BuildProducts.repositoryRoot.appendingPathComponent("scripts/\(name)").path]
        var env = ProcessInfo.processInfo.environment
        for (key, value) in environment { env[key] = value }
        process.environment = env
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    func testUnitsVerifyCleanlyAndAreHardened() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-analyze") else {
            return XCTFail("systemd-analyze is missing: install the systemd package (./dev test does)")
        }
        let result = try script("check-units.sh", environment: ["BUILD_DIR": BuildProducts.binDirectory.path])
        XCTAssertEqual(result.status, 0, result.output)
        XCTAssertTrue(result.output.contains("systemd-analyze verify: no output"), result.output)
        XCTAssertTrue(result.output.contains("systemd-analyze security: exposure "), result.output)
    }

    func testInstallAndUninstallIntoAStagingRoot() throws {
        let root = try TemporaryDirectory(prefix: "stage")
        defer { root.remove() }
        let environment = ["DESTDIR": root.path, "PREFIX": "/opt/ds", "BUILD_DIR": BuildProducts.binDirectory.path]
        let install = try script("install.sh", environment: environment)
        XCTAssertEqual(install.status, 0, install.output)
        let expected = [
            "/opt/ds/bin/deltastored", "/opt/ds/bin/deltastorectl", "/opt/ds/lib/systemd/system/deltastore.socket",
            "/opt/ds/lib/systemd/system/deltastore.service", "/opt/ds/lib/sysusers.d/deltastore.conf",
            "/opt/ds/share/doc/deltastore/mongodb.conf.example", "/opt/ds/libexec/deltastore/swift-backtrace-static",
        ]
        for path in expected {
            XCTAssertTrue(FileManager.default.fileExists(atPath: root.path + path), path)
        }
        let service = try String(contentsOfFile: root.path + "/opt/ds/lib/systemd/system/deltastore.service", encoding: .utf8)
        XCTAssertTrue(service.contains("ExecStart=/opt/ds/bin/deltastored --jwt-keys /etc/deltastore/jwt-keys\n"), "ExecStart follows PREFIX")
        XCTAssertTrue(service.contains(",swift-backtrace=/opt/ds/libexec/deltastore/swift-backtrace-static\n"), "the backtracer follows PREFIX")
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: root.path + "/opt/ds/libexec/deltastore/swift-backtrace-static"))

        let uninstall = try script("uninstall.sh", environment: environment)
        XCTAssertEqual(uninstall.status, 0, uninstall.output)
        for path in expected {
            XCTAssertFalse(FileManager.default.fileExists(atPath: root.path + path), path)
        }
    }
}
