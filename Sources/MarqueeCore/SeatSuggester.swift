/// Finds free seats to offer instead when the ones asked for are taken: the same
/// number of seats side by side in one row, as near as possible to the request.
public struct SeatSuggester: Sendable {
    public let layout: SeatLayout

    public init(layout: SeatLayout) { self.layout = layout }

    /// - Parameters:
    ///   - requested: the seats the buyer asked for (all known to the layout).
    ///   - isFree: whether the seat at this position of `layout.seats` can be held now.
    /// - Returns: `requested.count` adjacent free seats, or an empty list when no
    ///   row has such a block.
    public func suggest(near requested: [Seat], isFree: (Int) -> Bool) -> [Seat.ID] {
        // Rows near the request first: on a busy show that is where the answer
        // is, and it spares looking at every seat of a large hall.
        guard let top = requested.map(\.y).min(), let bottom = requested.map(\.y).max() else { return [] }
        let nearby = suggest(near: requested, isFree: isFree, within: seats(inRows: (top - 2)...(bottom + 2)))
        return nearby.isEmpty ? suggest(near: requested, isFree: isFree, within: layout.seats.indices) : nearby
    }

    /// Positions in `layout.seats` (ordered by row, then x) of the seats in these rows.
    private func seats(inRows rows: ClosedRange<Int>) -> Range<Int> {
        let seats = layout.seats
        func firstIndex(atOrAfter y: Int) -> Int {
            var low = 0
            var high = seats.count
            while low < high {
                let middle = (low + high) / 2
                if seats[middle].y < y { low = middle + 1 } else { high = middle }
            }
            return low
        }
        return firstIndex(atOrAfter: rows.lowerBound)..<firstIndex(atOrAfter: rows.upperBound + 1)
    }

    private func suggest(near requested: [Seat], isFree: (Int) -> Bool, within range: Range<Int>) -> [Seat.ID] {
        let count = requested.count
        guard count > 0 else { return [] }
        let centreX = Double(requested.map(\.x).reduce(0, +)) / Double(count)
        let centreY = Double(requested.map(\.y).reduce(0, +)) / Double(count)
        // A handful at most: comparing with each is cheaper than hashing every seat's category.
        var wanted: [SeatCategory.ID] = []
        for seat in requested where !wanted.contains(seat.category) { wanted.append(seat.category) }
        let seats = layout.seats

        // Walk runs of free, physically adjacent seats row by row; a candidate
        // block is the last `count` seats of a run, scored without copying it.
        var best: (score: Double, end: Int)?
        var runLength = 0
        var xSum = 0
        var otherCategory = 0
        // Seats are read field by field: copying a whole seat (four strings) for each
        // one looked at was a good part of the search's time.
        for index in range {
            if !isFree(index) {
                runLength = 0
                continue
            }
            let (x, y) = (seats[index].x, seats[index].y)
            let continues = index > range.lowerBound && seats[index - 1].y == y && seats[index - 1].x + 1 == x
            if !continues || runLength == 0 {
                runLength = 0
                xSum = 0
                otherCategory = 0
            }
            runLength += 1
            xSum += x
            if !wanted.contains(seats[index].category) { otherCategory += 1 }
            if runLength > count {
                xSum -= seats[index - count].x
                if !wanted.contains(seats[index - count].category) { otherCategory -= 1 }
            }
            guard runLength >= count else { continue }
            let dx = Double(xSum) / Double(count) - centreX
            // Moving to another row costs a little more than sliding along the same one.
            let dy = (Double(y) - centreY) * 1.2
            let score = (dx * dx + dy * dy).squareRoot() + (otherCategory > 0 ? 6 : 0)
            if best == nil || score < best!.score { best = (score, index) }
        }
        guard let best else { return [] }
        return seats[(best.end - count + 1)...best.end].map(\.id)
    }
}
