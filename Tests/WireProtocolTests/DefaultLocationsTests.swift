import WireProtocol
import XCTest

final class DefaultLocationsTests: XCTestCase {
    private let installed = "/usr/bin/deltastored"
    private let checkout = "/home/dev/deltastore/.build/debug/deltastored"

    func testInstalledWithoutSystemd() {
        let locations = DefaultLocations(environment: [:], executablePath: installed)
        XCTAssertEqual(locations.socketPath, "/run/deltastore/deltastore.sock")
        XCTAssertEqual(locations.stateDirectory, "/var/lib/deltastore")
    }

    func testFromACheckout() {
        let locations = DefaultLocations(environment: [:], executablePath: checkout)
        XCTAssertEqual(locations.socketPath, "./run/deltastore.sock")
        XCTAssertEqual(locations.stateDirectory, "./data")
    }

    func testCheckoutDetectionLooksAtPathComponents() {
        for path in [".build/debug/deltastorectl", "/x/.build/x86_64-unknown-linux-gnu/release/deltastored", "/x/.build-linux/debug/deltastored"] {
            XCTAssertEqual(DefaultLocations(environment: [:], executablePath: path).stateDirectory, "./data", path)
        }
        for path in ["/opt/my.build/bin/deltastored", "/usr/local/bin/deltastored", "deltastored", ""] {
            XCTAssertEqual(DefaultLocations(environment: [:], executablePath: path).stateDirectory, "/var/lib/deltastore", path)
        }
    }

    func testSystemdDirectoriesWin() {
        let environment = ["RUNTIME_DIRECTORY": "/run/ds", "STATE_DIRECTORY": "/var/lib/ds"]
        for path in [installed, checkout] {
            let locations = DefaultLocations(environment: environment, executablePath: path)
            XCTAssertEqual(locations.socketPath, "/run/ds/deltastore.sock", path)
            XCTAssertEqual(locations.stateDirectory, "/var/lib/ds", path)
        }
    }

    func testEachDirectoryFallsBackOnItsOwn() {
        let runtimeOnly = DefaultLocations(environment: ["RUNTIME_DIRECTORY": "/run/ds"], executablePath: checkout)
        XCTAssertEqual(runtimeOnly.socketPath, "/run/ds/deltastore.sock")
        XCTAssertEqual(runtimeOnly.stateDirectory, "./data")
        let stateOnly = DefaultLocations(environment: ["STATE_DIRECTORY": "/srv/ds"], executablePath: installed)
        XCTAssertEqual(stateOnly.socketPath, "/run/deltastore/deltastore.sock")
        XCTAssertEqual(stateOnly.stateDirectory, "/srv/ds")
    }

    func testColonSeparatedListsUseTheFirstDirectory() {
        let locations = DefaultLocations(environment: ["RUNTIME_DIRECTORY": "/run/a:/run/b", "STATE_DIRECTORY": "/var/lib/a:/var/lib/b"], executablePath: installed)
        XCTAssertEqual(locations.socketPath, "/run/a/deltastore.sock")
        XCTAssertEqual(locations.stateDirectory, "/var/lib/a")
    }

    func testEmptyVariablesAreIgnored() {
        let locations = DefaultLocations(environment: ["RUNTIME_DIRECTORY": "", "STATE_DIRECTORY": ""], executablePath: installed)
        XCTAssertEqual(locations, DefaultLocations(environment: [:], executablePath: installed))
    }

    func testConstants() {
        XCTAssertEqual(DefaultLocations.socketFileName, "deltastore.sock")
        XCTAssertEqual(DefaultLocations.installedRuntimeDirectory, "/run/deltastore")
        XCTAssertEqual(DefaultLocations.installedStateDirectory, "/var/lib/deltastore")
    }

    func testDaemonAndCLIAgree() {
        // Both binaries sit side by side and compute the same defaults.
        let environment = ["RUNTIME_DIRECTORY": "/run/deltastore"]
        XCTAssertEqual(DefaultLocations(environment: environment, executablePath: "/usr/bin/deltastored"),
                       DefaultLocations(environment: environment, executablePath: "/usr/bin/deltastorectl"))
        XCTAssertEqual(DefaultLocations(environment: [:], executablePath: "/w/.build/debug/deltastored"),
                       DefaultLocations(environment: [:], executablePath: "/w/.build/debug/deltastorectl"))
    }
}
