import RequestDispatch
import WireProtocol
import XCTest

final class AccessPolicyTests: XCTestCase {
    let daemon = AccessPolicy.defaults(daemonUID: 990, daemonGID: 990)

    func testDefaults() {
        let root = PeerCredentials(pid: 1, uid: 0, gid: 0)
        let itself = PeerCredentials(pid: 2, uid: 990, gid: 990)
        let member = PeerCredentials(pid: 3, uid: 1001, gid: 1001, groups: [27, 990])
        let primaryMember = PeerCredentials(pid: 4, uid: 1002, gid: 990)
        let stranger = PeerCredentials(pid: 5, uid: 65534, gid: 65534)
        XCTAssertEqual(daemon.groups(for: root), [.public, .read, .write, .auth, .admin, .forward])
        XCTAssertEqual(daemon.groups(for: itself), [.public, .read, .write, .auth, .admin, .forward])
        XCTAssertEqual(daemon.groups(for: member), [.public, .read, .write, .auth], "a supplementary member of the socket's group")
        XCTAssertEqual(daemon.groups(for: primaryMember), [.public, .read, .write, .auth])
        XCTAssertEqual(daemon.groups(for: stranger), [.public])
        XCTAssertTrue(daemon.allows(stranger, .public))
        XCTAssertFalse(daemon.allows(stranger, .read))
        XCTAssertFalse(daemon.allows(member, .admin))
        XCTAssertFalse(daemon.allows(member, .forward), "naming end users is granted explicitly, never to the group by default")
    }

    func testRulesAreAUnion() {
        let policy = AccessPolicy(rules: [.init(.uid(5), [.read]), .init(.gid(7), [.write]), .init(.anyone, [.auth])], source: "test")
        XCTAssertEqual(policy.groups(for: PeerCredentials(pid: 1, uid: 5, gid: 7)), [.public, .read, .write, .auth])
        XCTAssertEqual(policy.groups(for: PeerCredentials(pid: 1, uid: 6, gid: 6)), [.public, .auth])
    }

    func testEveryOperationGroupIsCovered() {
        XCTAssertEqual(Set(OperationDescriptor.Group.allCases), AccessPolicy.allGroups.union([.public]))
    }
}

final class AccessRulesFileTests: XCTestCase {
    let resolver = AccessRulesFile.NameResolver(
        user: { ["analytics": 1001, "root": 0][$0] },
        group: { ["enricher": 2001][$0] }
    )

    func testParsesEverySubjectAndGroup() throws {
        let text = """
        # who            what
        user:analytics   read
        group:enricher   read, write   # the ingest service
        uid:42           auth admin
        gid:7            all
        uid:80           auth forward     # an HTTP front

        *                read
        """
        let policy = try AccessRulesFile.parse(text, source: "/etc/deltastore/access.conf", resolver: resolver)
        XCTAssertEqual(policy.rules, [
            .init(.uid(1001), [.read]),
            .init(.gid(2001), [.read, .write]),
            .init(.uid(42), [.auth, .admin]),
            .init(.gid(7), [.read, .write, .auth, .admin, .forward]),
            .init(.uid(80), [.auth, .forward]),
            .init(.anyone, [.read]),
        ])
        XCTAssertEqual(policy.source, "/etc/deltastore/access.conf")
    }

    func testAnEmptyFileGrantsOnlyPublicOperations() throws {
        let policy = try AccessRulesFile.parse("# nothing\n", source: "x", resolver: resolver)
        XCTAssertEqual(policy.groups(for: PeerCredentials(pid: 1, uid: 0, gid: 0)), [.public])
    }

    func testErrorsNameTheLine() {
        let cases: [(String, Int, String)] = [
            ("user:nobody-here read", 1, "no user named 'nobody-here'"),
            ("\ngroup:ghosts read", 2, "no group named 'ghosts'"),
            ("uid:abc read", 1, "'abc' is not a uid"),
            ("uid:1 sudo", 1, "unknown group 'sudo'"),
            ("uid:1 public", 1, "unknown group 'public'"),
            ("uid:1", 1, "names no groups"),
            ("alice read", 1, "is not a subject"),
            ("user: read", 1, "is not a subject"),
        ]
        for (text, line, message) in cases {
            XCTAssertThrowsError(try AccessRulesFile.parse(text, source: "x", resolver: resolver), text) { error in
                let parseError = error as? AccessRulesFile.ParseError
                XCTAssertEqual(parseError?.line, line, text)
                XCTAssertTrue(parseError?.message.contains(message) ?? false, "\(text): \(String(describing: parseError))")
            }
        }
    }
}
