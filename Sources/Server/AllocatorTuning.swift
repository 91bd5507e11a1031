#if canImport(Glibc)
import Glibc
#endif

/// The two glibc allocator settings that make memory taken by a burst go
/// back to the system, looked up at run time (`<malloc.h>` is not part of
/// Swift's Glibc module).
///
/// - `mallopt(M_MMAP_THRESHOLD, 128 KiB)`: buffers of 128 KiB and more (frame
///   and reply buffers under load) are mapped on their own and unmapped when
///   freed. glibc otherwise raises the threshold after the first large free,
///   up to 32 MiB, and from then on keeps large buffers in its heap.
/// - `malloc_trim(0)`: returns the free pages of every arena.
enum AllocatorTuning {
    private typealias MallOpt = @convention(c) (Int32, Int32) -> Int32
    private typealias MallocTrim = @convention(c) (Int) -> Int32

    /// `M_MMAP_THRESHOLD` in glibc's `<malloc.h>`.
    private static let mmapThresholdParameter: Int32 = -3
    static let mmapThreshold: Int32 = 128 * 1024

    private static func symbol(_ name: String) -> UnsafeMutableRawPointer? {
        #if os(Linux)
        return dlsym(UnsafeMutableRawPointer(bitPattern: 0), name)
        #else
        return nil
        #endif
    }

    /// Fixes the mmap threshold; false where the allocator is not glibc's.
    @discardableResult
    static func mapLargeBuffers() -> Bool {
        guard let pointer = symbol("mallopt") else { return false }
        return unsafeBitCast(pointer, to: MallOpt.self)(mmapThresholdParameter, mmapThreshold) == 1
    }

    /// Returns free memory to the system; true if some was.
    @discardableResult
    static func trim() -> Bool {
        guard let pointer = symbol("malloc_trim") else { return false }
        return unsafeBitCast(pointer, to: MallocTrim.self)(0) == 1
    }

    /// This process's resident size in bytes (from /proc/self/statm), or nil.
    static func residentBytes() -> Int? {
        guard let file = fopen("/proc/self/statm", "r") else { return nil }
        defer { fclose(file) }
        var size = 0
        var resident = 0
        guard fscanfPair(file, &size, &resident) else { return nil }
        return resident * Int(sysconf(Int32(_SC_PAGESIZE)))
    }

    private static func fscanfPair(_ file: UnsafeMutablePointer<FILE>, _ first: inout Int, _ second: inout Int) -> Bool {
        var buffer = [CChar](repeating: 0, count: 128)
        guard fgets(&buffer, Int32(buffer.count), file) != nil else { return false }
        let fields = String(cString: buffer).split(separator: " ")
        guard fields.count >= 2, let a = Int(fields[0]), let b = Int(fields[1]) else { return false }
        first = a
        second = b
        return true
    }
}
