/// A page of a keyset-paginated query (`ticks.query`, `quotes.query`,
/// `chains.query`): what `PageSequence` follows.
public protocol CursorPage: Sendable {
    /// The cursor of the following page; `nil` on the last page.
    var next: String? { get }
}

extension TickPage: CursorPage {}
extension QuotePage: CursorPage {}
extension ChainPage: CursorPage {}

/// Every page of one query, in order, each fetched only when the loop asks
/// for it: the first without a cursor, each following one with the previous
/// page's `next`, until a page has none.
///
/// ```swift
/// for try await page in client.tickPages(product: "NIFTY", start: from, end: to) {
///     for tick in page.ticks { … }
/// }
/// ```
/// As the protocol promises, every record that existed when the first page
/// was read comes exactly once, in order, even while new ones arrive. A
/// server that answered with the cursor it was just given would make the
/// loop endless, so that ends it with `DeltaStoreError.protocolViolation`.
public struct PageSequence<Page: CursorPage>: AsyncSequence, Sendable {
    public typealias Element = Page
    private let fetch: @Sendable (String?) async throws -> Page

    init(fetch: @escaping @Sendable (String?) async throws -> Page) {
        self.fetch = fetch
    }

    public func makeAsyncIterator() -> Iterator {
        Iterator(fetch: fetch)
    }

    /// Fetches the pages one by one.
    public struct Iterator: AsyncIteratorProtocol {
        private let fetch: @Sendable (String?) async throws -> Page
        private var cursor: String?
        private var finished = false

        init(fetch: @escaping @Sendable (String?) async throws -> Page) {
            self.fetch = fetch
        }

        public mutating func next() async throws -> Page? {
            guard !finished else { return nil }
            let page: Page
            do {
                page = try await fetch(cursor)
            } catch {
                finished = true
                throw error
            }
            guard let next = page.next else {
                finished = true
                return page
            }
            guard next != cursor else {
                finished = true
                throw DeltaStoreError.protocolViolation("the server returned the cursor it was given; stopping instead of looping")
            }
            cursor = next
            return page
        }
    }
}
