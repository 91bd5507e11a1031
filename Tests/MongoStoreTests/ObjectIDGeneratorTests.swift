import BSONCore
@testable import MongoStore
import NIOConcurrencyHelpers
import Testing

/// `_id`s break ties between equal timestamps, so they must increase in
/// insertion order, whatever the clock does.
@Suite("MongoDB store: ObjectId order")
struct ObjectIDGeneratorTests {
    @Test func idsIncreaseWithinASecondAcrossSecondsAndWhenTheClockStepsBack() {
        let now = NIOLockedValueBox<UInt32>(1_700_000_000)
        let generator = ObjectIDGenerator(clock: { now.withLockedValue { $0 } })
        var ids = generator.next(5)
        now.withLockedValue { $0 += 1 }
        ids += generator.next(3)
        now.withLockedValue { $0 -= 10 }  // the clock steps back
        ids += generator.next(3)
        for (earlier, later) in zip(ids, ids.dropFirst()) {
            #expect(earlier.bytes.lexicographicallyPrecedes(later.bytes))
        }
        #expect(Set(ids.map(\.bytes)).count == ids.count)
        #expect(Array(ids[0].bytes[4..<9]) == Array(ids[10].bytes[4..<9]), "one process part")
    }

    @Test func aFullCounterMovesToTheNextSecondInsteadOfWrapping() {
        let generator = ObjectIDGenerator(clock: { 1_700_000_000 })
        generator.assumeCounter(0xFF_FFFE)
        let ids = generator.next(4)
        for (earlier, later) in zip(ids, ids.dropFirst()) {
            #expect(earlier.bytes.lexicographicallyPrecedes(later.bytes))
        }
        #expect(ids.last?.bytes.prefix(4) == [0x65, 0x53, 0xF1, 0x01], "seconds field moved on by one")
    }
}
