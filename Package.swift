// swift-tools-version:6.2
// deltastore: one daemon that owns database access and authentication for
// DeltaStream, spoken to over a Unix domain socket in BSON frames.
// Linux only (systemd, SO_PEERCRED, libsystemd); Swift 6.2 or later (InlineArray).
import PackageDescription

let nio: Target.Dependency = .product(name: "NIOCore", package: "swift-nio")
let nioPosix: Target.Dependency = .product(name: "NIOPosix", package: "swift-nio")
let nioHelpers: Target.Dependency = .product(name: "NIOConcurrencyHelpers", package: "swift-nio")
let logging: Target.Dependency = .product(name: "Logging", package: "swift-log")

// The daemon's request path (the connection handler and dispatch) in release
// builds: without the run-time exclusivity checks, which took 8-10 % of the
// daemon's CPU per request in the profile of `ping` at C=50 P=16
// (swift_beginAccess and its thread-local access set on every access to a
// handler's stored properties). The checks stay in debug builds, where the
// whole test suite runs with them. Not on the targets of the DeltaStoreClient
// library (BSONCore, WireProtocol): a package that depends on it by version
// may have no unsafe flags there.
let requestPathSettings: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "deltastore",
    products: [
        .executable(name: "deltastored", targets: ["deltastored"]),
        .executable(name: "deltastorectl", targets: ["deltastorectl"]),
        .library(name: "DeltaStoreClient", targets: ["DeltaStoreClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        // Tests only: an independent JWT implementation that checks the tokens the daemon signs.
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.7.1"),
        // HMAC-SHA256 of tokens (auth, AccessTokenCodec), SHA-256 of refresh tokens, HMAC of page cursors (Domain).
        .package(url: "https://github.com/apple/swift-crypto.git", "4.1.0"..<"6.0.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        // The daemon's memory budget total (Server); already in the graph through swift-nio.
        .package(url: "https://github.com/apple/swift-atomics.git", from: "1.3.0"),
    ],
    targets: [
        // System libraries: shims only. Debian package names in `providers`.
        .systemLibrary(name: "CBSON", pkgConfig: "libbson-1.0", providers: [.apt(["libbson-dev"])]),
        .systemLibrary(name: "CMongoC", pkgConfig: "libmongoc-1.0", providers: [.apt(["libmongoc-dev"])]),
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        .systemLibrary(name: "CCrypt", pkgConfig: "libcrypt", providers: [.apt(["libcrypt-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),

        // Owned BSON documents over libbson: build, read, validate, extended JSON.
        .target(name: "BSONCore", dependencies: ["CBSON"]),
        // Frames, envelopes, error codes, operation catalog. Pure: no sockets.
        .target(name: "WireProtocol", dependencies: ["BSONCore", nio]),
        // Operation table and the built-in operations.
        .target(
            name: "RequestDispatch",
            dependencies: ["BSONCore", "WireProtocol", "Domain", "Auth", nio, nioHelpers, logging, .product(name: "Histogram", package: "hdrhistogram-swift")],
            swiftSettings: requestPathSettings
        ),
        // Records, validation rules, queries, cursors, repository protocols. No I/O.
        .target(name: "Domain", dependencies: ["BSONCore", .product(name: "Crypto", package: "swift-crypto")]),
        // The embedded default store.
        .target(name: "SQLiteStore", dependencies: ["CSQLite", "Domain", "BSONCore", nio, nioPosix, nioHelpers, logging]),
        // The MongoDB store, over libmongoc.
        .target(name: "MongoStore", dependencies: ["CMongoC", "Domain", "BSONCore", nio, nioPosix, nioHelpers, logging]),
        // socket activation, sd_notify, watchdog, journal logging.
        .target(
            name: "Systemd",
            dependencies: ["CSystemd", nio, logging, .product(name: "ServiceLifecycle", package: "swift-service-lifecycle")]
        ),
        // Passwords (bcrypt via libxcrypt), tokens (JWT key ring), sessions, throttling.
        .target(
            name: "Auth",
            dependencies: [
                "CCrypt", "Domain", "BSONCore", nio, nioPosix, nioHelpers, logging,
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The NIO listener: socket file, connections, in-flight limits, drain.
        .target(
            name: "Server",
            dependencies: [
                "BSONCore", "WireProtocol", "RequestDispatch", nio, nioPosix, nioHelpers, logging,
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Atomics", package: "swift-atomics"),
            ],
            swiftSettings: requestPathSettings
        ),
        // The daemon put together from a configuration: every resource opened in order, one owner
        // (RunningDaemon) with the service group and one shutdown. Used by deltastored and the in-process tests.
        .target(
            name: "DaemonAssembly",
            dependencies: [
                "Server", "RequestDispatch", "WireProtocol", "BSONCore", "Domain",
                "SQLiteStore", "MongoStore", "Systemd", "Auth", nio, nioPosix, nioHelpers, logging,
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                // SIGHUP reloads the access rules and the JWT key ring (ReloadService).
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        // The daemon executable: options, process-wide set-up (logging, signals), then DaemonAssembly.
        .executableTarget(
            name: "deltastored",
            dependencies: [
                "DaemonAssembly", "RequestDispatch", "WireProtocol", "BSONCore", "Domain",
                "SQLiteStore", "MongoStore", "Systemd", "Auth", nio, logging,
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // The Swift client library: one connection, requests multiplexed by id.
        .target(name: "DeltaStoreClient", dependencies: ["BSONCore", "WireProtocol", nio, nioPosix, nioHelpers]),
        // libFuzzer target over frame decoding, envelopes, argument validation and query building (scripts/fuzz.sh).
        .executableTarget(name: "deltastore-fuzz", dependencies: ["FuzzSupport", "MongoStore"]),
        // Benchmarks (bench/run): load generator, echo-server, in-process store and bcrypt anchors, READY timing, report.
        .executableTarget(
            name: "deltastore-bench",
            dependencies: [
                "BSONCore", "WireProtocol", "Domain", "SQLiteStore", "MarketSimulation", "DeltaStoreClient", "CCrypt", "Auth",
                nio, nioPosix, nioHelpers, logging,
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        // Synthetic market data (GBM prices, Black–Scholes quotes, chain analytics) for `seed` and benchmarks.
        .target(name: "MarketSimulation", dependencies: ["BSONCore"]),
        // The command-line client.
        .executableTarget(
            name: "deltastorectl",
            dependencies: [
                "DeltaStoreClient", "BSONCore", "WireProtocol", "MarketSimulation",
                // verify-backup opens a backup file itself, without a daemon.
                "SQLiteStore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),

        // Helpers shared by the test targets (process runner, raw socket client).
        .target(
            name: "TestSupport",
            dependencies: ["BSONCore", "WireProtocol", logging],
            path: "Tests/TestSupport"
        ),
        // What the fuzz target runs on each input (test-only: not in the daemon's modules); RequestDispatchTests replays it.
        .target(
            name: "FuzzSupport",
            dependencies: ["RequestDispatch", "Domain", "BSONCore", "WireProtocol", nio],
            path: "Tests/FuzzSupport"
        ),
        .testTarget(name: "BSONCoreTests", dependencies: ["BSONCore", "TestSupport"], resources: [.copy("bson-corpus")]),
        .testTarget(
            name: "WireProtocolTests",
            dependencies: [
                "WireProtocol", "BSONCore", "TestSupport", nio,
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ]
        ),
        // The connection state machine, the memory budget and the connection handler (through EmbeddedChannel).
        .testTarget(
            name: "ServerTests",
            dependencies: [
                "Server", "RequestDispatch", "WireProtocol", "BSONCore", "TestSupport", nio, logging,
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "RequestDispatchTests",
            dependencies: [
                "RequestDispatch", "FuzzSupport", "WireProtocol", "BSONCore", "TestSupport", nio, nioPosix, nioHelpers, logging,
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "MarketSimulationTests", dependencies: ["MarketSimulation", "Domain", "BSONCore"]),
        .testTarget(name: "DomainTests", dependencies: ["Domain", "BSONCore", "TestSupport"]),
        .testTarget(name: "SQLiteStoreTests", dependencies: ["SQLiteStore", "RequestDispatch", "Domain", "BSONCore", "CSQLite", nioPosix, logging]),
        // One contract suite, run against every store (Swift Testing, parameterized by store).
        .testTarget(name: "StoreContractTests", dependencies: ["SQLiteStore", "MongoStore", "Domain", "BSONCore", "TestSupport", nioPosix, logging]),
        .testTarget(name: "MongoStoreTests", dependencies: ["MongoStore", "Domain", "BSONCore", "CMongoC", "TestSupport", nioPosix, logging]),
        .testTarget(
            name: "AuthTests",
            dependencies: [
                "Auth", "Domain", "BSONCore", "TestSupport", nio, nioPosix, nioHelpers, logging,
                // jwt-kit, an independent JWT implementation, checks the daemon's tokens (AccessTokenCodecTests).
                .product(name: "JWTKit", package: "jwt-kit"), .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .testTarget(name: "SystemdTests", dependencies: ["Systemd", "TestSupport", logging, nio, nioHelpers]),
        // The assembly in the test process: start, serve, stop, a failed start, the teardown order.
        .testTarget(
            name: "DaemonAssemblyTests",
            dependencies: [
                "DaemonAssembly", "Domain", "BSONCore", "TestSupport", "RequestDispatch", nioHelpers, logging,
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(name: "NativeLibraryTests", dependencies: ["SQLiteStore", "MongoStore", "Systemd", "Auth", "BSONCore"]),
        .testTarget(
            name: "EndToEndTests",
            // Crypto: the auth tests sign tokens with the daemon's key by hand.
            // deltastored and DaemonAssembly: the same test bodies against the daemon the same command line
            // gives (DaemonCommand's parsing), started in the test process (InProcessDaemon).
            dependencies: [
                "TestSupport", "DeltaStoreClient", "BSONCore", "WireProtocol", "deltastored", "DaemonAssembly", nioHelpers, logging,
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // The Swift client library against the built daemon, and against proto-spec/vectors.
        .testTarget(name: "DeltaStoreClientTests", dependencies: ["DeltaStoreClient", "BSONCore", "WireProtocol", "TestSupport"]),
    ]
)
