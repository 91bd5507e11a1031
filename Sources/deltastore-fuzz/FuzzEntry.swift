import FuzzSupport
@_spi(Fuzzing) import MongoStore

/// libFuzzer entry point: the bytes a hostile client could send, through the
/// same code the server runs on them — frame decoding (with the length
/// checks), envelope parsing, argument validation of every operation, and the
/// query building that follows it (cursors opened, ranges narrowed, bars
/// folded, and the MongoDB store's filters built).
///
/// Built only by `scripts/fuzz.sh` (`swift build -Xswiftc -sanitize=fuzzer`);
/// libFuzzer supplies `main`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzHarness.run(Array(UnsafeBufferPointer(start: data, count: size)), builders: mongoBuilders)
    return 0
}

/// Each parsed query through the MongoDB store's query building (a thrown
/// `FieldError`, e.g. for a cursor of another store, is an answer, not a crash).
let mongoBuilders = FuzzHarness.QueryBuilders(
    ticks: { _ = try? MongoQueryBuilding.page($0) },
    quotes: { _ = try? MongoQueryBuilding.page($0) },
    chains: { _ = try? MongoQueryBuilding.page($0) },
    bars: { _ = MongoQueryBuilding.bars($0) }
)
