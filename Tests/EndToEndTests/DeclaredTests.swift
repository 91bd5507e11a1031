import Foundation
import TestSupport
import XCTest

/// The test methods a class declares in a source file of this target: how an
/// in-process subclass checks that it names every body of its base class
/// (Linux's test discovery runs only the methods a class itself declares).
enum DeclaredTests {
    static func names(in file: String, class name: String) throws -> [String] {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent(file).path
        let lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
        guard let start = lines.firstIndex(where: { $0.hasPrefix("class \(name):") || $0.hasPrefix("final class \(name):") }) else {
            throw TestSupportError("no class \(name) in \(file)")
        }
        var names: [String] = []
        for line in lines[start...].dropFirst() {
            if line == "}" { break }
            let words = line.split(separator: " ")
            guard let index = words.firstIndex(of: "func"), index + 1 < words.count, index <= 1,
                  words[index + 1].hasPrefix("test"), let name = words[index + 1].split(separator: "(").first
            else { continue }
            names.append(String(name))
        }
        return names
    }

    /// Fails unless `subclass` (declared in the same file) overrides every test of `base` (and declares no other but this check).
    static func assertNamesEveryTest(of base: String, in file: String, subclass: AnyClass, line: UInt = #line) throws {
        let own = Set(try names(in: file, class: String(describing: subclass))).subtracting(["testInProcessRunsEveryBody"])
        XCTAssertEqual(Set(try names(in: file, class: base)), own, "\(subclass) must name every test of \(base)", line: line)
    }
}
