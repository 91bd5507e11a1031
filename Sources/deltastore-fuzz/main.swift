// Built normally, this executable only explains itself. Built by
// scripts/fuzz.sh (`-sanitize=fuzzer -DFUZZING`), it hands control to
// libFuzzer's driver, which calls `LLVMFuzzerTestOneInput` (FuzzEntry.swift).
// SwiftPM links this file's code as the program's `main`, so libFuzzer's own
// `main` is not used: its driver is started explicitly instead.
#if FUZZING
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>, Int) -> CInt
) -> CInt

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
let status = LLVMFuzzerRunDriver(&argc, &argv) { data, size in fuzzOneInput(data, size) }
exit(status)
#else
print("deltastore-fuzz: build and run it with scripts/fuzz.sh (libFuzzer)")
#endif

#if canImport(Glibc)
import Glibc
#endif
