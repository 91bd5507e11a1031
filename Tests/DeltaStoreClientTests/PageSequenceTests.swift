@testable import DeltaStoreClient
import XCTest

/// `PageSequence` on its own, over pages served from memory: which cursor each
/// fetch gets, where it stops, and how it fails.
final class PageSequenceTests: XCTestCase {
    private struct Page: CursorPage, Equatable {
        var items: [Int]
        var next: String?
    }

    /// Records the cursors the sequence asked with.
    private final class Server: @unchecked Sendable {
        private let lock = NSLock()
        private var asked: [String?] = []
        let answer: @Sendable (String?) throws -> Page

        init(_ answer: @escaping @Sendable (String?) throws -> Page) {
            self.answer = answer
        }

        func fetch(_ cursor: String?) throws -> Page {
            lock.withLock { asked.append(cursor) }
            return try answer(cursor)
        }

        var cursors: [String?] { lock.withLock { asked } }
    }

    func testItFollowsNextUntilAPageHasNone() async throws {
        let server = Server { cursor in
            switch cursor {
            case nil: return Page(items: [1, 2], next: "c1")
            case "c1": return Page(items: [3, 4], next: "c2")
            default: return Page(items: [5], next: nil)
            }
        }
        var items: [Int] = []
        for try await page in PageSequence(fetch: { try server.fetch($0) }) { items += page.items }
        XCTAssertEqual(items, [1, 2, 3, 4, 5])
        XCTAssertEqual(server.cursors, [nil, "c1", "c2"])
    }

    func testPagesAreFetchedOnlyAsTheLoopAsks() async throws {
        let server = Server { _ in Page(items: [0], next: UUID().uuidString) }
        var iterator = PageSequence(fetch: { try server.fetch($0) }).makeAsyncIterator()
        _ = try await iterator.next()
        _ = try await iterator.next()
        XCTAssertEqual(server.cursors.count, 2, "an endless query is read lazily")
    }

    func testARepeatedCursorEndsWithAProtocolViolation() async throws {
        let server = Server { _ in Page(items: [1], next: "same") }
        var iterator = PageSequence(fetch: { try server.fetch($0) }).makeAsyncIterator()
        let first = try await iterator.next()
        XCTAssertEqual(first, Page(items: [1], next: "same"))
        do {
            _ = try await iterator.next()
            XCTFail("a cursor that does not move must not loop")
        } catch let error as DeltaStoreError {
            guard case .protocolViolation = error else { return XCTFail("\(error)") }
        }
        let afterwards = try await iterator.next()
        XCTAssertNil(afterwards)
        XCTAssertEqual(server.cursors, [nil, "same"])
    }

    func testAFailedFetchIsThrownAndEndsTheSequence() async throws {
        struct Outage: Error {}
        let server = Server { cursor in
            if cursor == nil { return Page(items: [1], next: "c1") }
            throw Outage()
        }
        var iterator = PageSequence(fetch: { try server.fetch($0) }).makeAsyncIterator()
        _ = try await iterator.next()
        do {
            _ = try await iterator.next()
            XCTFail("the failure must reach the loop")
        } catch is Outage {}
        let afterwards = try await iterator.next()
        XCTAssertNil(afterwards)
    }
}
