import Foundation

/// Where the built executables and the repository's files are, seen from a test.
///
/// End-to-end tests run the real `deltastored` and `deltastorectl` binaries that
/// `swift build` put next to the test bundle (or in `$DELTASTORE_BIN_DIR`).
public enum BuildProducts {
    /// The directory holding `deltastored` and `deltastorectl`.
    public static var binDirectory: URL {
        if let override = ProcessInfo.processInfo.environment["DELTASTORE_BIN_DIR"], !override.isEmpty {
            return URL(fileURLWithPath: override)
        }
        let testBinary = URL(fileURLWithPath: CommandLine.arguments.first ?? ".").resolvingSymlinksInPath()
        var directory = testBinary.deletingLastPathComponent()
        // On Linux the test runner is `<bin>/<package>PackageTests.xctest`; on macOS a bundle inside <bin>.
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("deltastored").path),
              directory.pathComponents.count > 1 {
            directory = directory.deletingLastPathComponent()
        }
        return directory
    }

    public static func executable(_ name: String) throws -> URL {
        let url = binDirectory.appendingPathComponent(name)
        guard FileManager.default.isExecutableFile(atPath: url.path) else {
            throw TestSupportError("\(name) not found at \(url.path): run `swift build` before `swift test`, or set DELTASTORE_BIN_DIR")
        }
        return url
    }

    /// The repository's top directory (where Package.swift is).
    public static var repositoryRoot: URL {
        var directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("Package.swift").path),
              directory.pathComponents.count > 1 {
            directory = directory.deletingLastPathComponent()
        }
        return directory
    }
}

/// A failure of the test harness itself (not of the code under test).
public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
