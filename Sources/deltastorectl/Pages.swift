import BSONCore
import DeltaStoreClient

/// The pages of a query as the subcommands print them: the first page, or
/// with `all` every page, following `next` cursors (`PageSequence`).
enum Pages {
    static func follow<Page: CursorPage>(_ pages: PageSequence<Page>, all: Bool, _ body: (Page) throws -> Void) async throws {
        for try await page in pages {
            try body(page)
            if !all { break }
        }
    }
}

/// Fixed-width text tables that can be printed page by page.
struct Table {
    struct Column {
        var title: String
        var width: Int
        var rightAligned: Bool
    }

    var columns: [Column]

    init(_ columns: [(String, Int, Bool)]) {
        self.columns = columns.map { Column(title: $0.0, width: $0.1, rightAligned: $0.2) }
    }

    var header: String { row(columns.map(\.title)) }

    func row(_ cells: [String]) -> String {
        zip(columns, cells).map { column, cell in
            let padding = String(repeating: " ", count: max(0, column.width - cell.count))
            return column.rightAligned ? padding + cell : cell + padding
        }.joined(separator: "  ").trimmingTrailingSpaces()
    }
}

extension String {
    fileprivate func trimmingTrailingSpaces() -> String {
        var copy = self
        while copy.last == " " { copy.removeLast() }
        return copy
    }
}

/// Formatting of record fields for tables.
enum Cell {
    static func time(_ value: BSONValue?) -> String {
        value?.datetimeValue.map(TimeArgument.format) ?? "-"
    }

    /// Shortest round-trip form (`21526.35`, `0.9623`, `21500`).
    static func number(_ value: BSONValue?) -> String {
        guard let number = value?.numericValue else { return "-" }
        return ShortestDoubleText.cell(number)
    }

    static func text(_ value: BSONValue?) -> String {
        switch value {
        case .string(let s)?: return s
        case .int32(let v)?: return String(v)
        case .int64(let v)?: return String(v)
        case .double(let v)?: return ShortestDoubleText.cell(v)
        case .datetime(let ms)?: return TimeArgument.format(ms)
        case .bool(let b)?: return b ? "true" : "false"
        case .null?, nil: return "-"
        case let other?: return BSONDocument([("v", other)]).relaxedExtendedJSON
        }
    }
}
