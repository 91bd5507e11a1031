import BSONCore
import RequestDispatch
import WireProtocol

/// libFuzzer entry point: the bytes a hostile client could send, through the
/// same code the server runs on them — frame decoding (with the length
/// checks), envelope parsing, and argument validation of every market-data
/// and core operation's arguments.
///
/// Built only by `scripts/fuzz.sh` (`swift build -Xswiftc -sanitize=fuzzer`);
/// libFuzzer supplies `main`.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    FuzzHarness.run(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}
