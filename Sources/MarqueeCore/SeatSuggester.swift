/// Finds free seats to offer instead when the ones asked for are taken: the same
/// number of seats side by side in one row, as near as possible to the request.
public struct SeatSuggester: Sendable {
    public let layout: SeatLayout

    public init(layout: SeatLayout) { self.layout = layout }

    /// - Parameters:
    ///   - requested: the seats the buyer asked for (all known to the layout).
    ///   - isFree: whether a seat can be held now.
    /// - Returns: `requested.count` adjacent free seats, or an empty list when no
    ///   row has such a block.
    public func suggest(near requested: [Seat], isFree: (Seat) -> Bool) -> [Seat.ID] {
        let count = requested.count
        guard count > 0 else { return [] }
        let centreX = Double(requested.map(\.x).reduce(0, +)) / Double(count)
        let centreY = Double(requested.map(\.y).reduce(0, +)) / Double(count)
        let wanted = Set(requested.map(\.category))

        var best: (score: Double, seats: [Seat])?
        var rowStart = 0
        let seats = layout.seats
        while rowStart < seats.count {
            var rowEnd = rowStart
            while rowEnd < seats.count && seats[rowEnd].y == seats[rowStart].y { rowEnd += 1 }
            // Walk runs of free, physically adjacent seats in this row.
            var run: [Seat] = []
            for index in rowStart..<rowEnd {
                let seat = seats[index]
                if isFree(seat), let last = run.last, last.x + 1 == seat.x {
                    run.append(seat)
                } else {
                    run = isFree(seat) ? [seat] : []
                }
                if run.count >= count {
                    let block = Array(run.suffix(count))
                    let score = Self.score(block, centreX: centreX, centreY: centreY, wanted: wanted)
                    if best == nil || score < best!.score { best = (score, block) }
                }
            }
            rowStart = rowEnd
        }
        return best?.seats.map(\.id) ?? []
    }

    /// Lower is better: distance from the requested seats, with a penalty for
    /// switching to a category the buyer did not pick.
    private static func score(_ block: [Seat], centreX: Double, centreY: Double, wanted: Set<SeatCategory.ID>)
        -> Double
    {
        let x = Double(block.map(\.x).reduce(0, +)) / Double(block.count)
        let y = Double(block[0].y)
        // Moving to another row costs a little more than sliding along the same one.
        let dy = (y - centreY) * 1.2
        let distance = ((x - centreX) * (x - centreX) + dy * dy).squareRoot()
        let categoryPenalty = block.allSatisfy { wanted.contains($0.category) } ? 0.0 : 6.0
        return distance + categoryPenalty
    }
}
