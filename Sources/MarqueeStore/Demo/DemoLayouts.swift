import MarqueeCore

/// Seat maps of the demo screens: rows from A at the front, blocks split by
/// aisles, a cross-aisle between price bands, wheelchair spaces at row ends.
enum DemoLayouts {
    struct Hall {
        /// Seat counts of the blocks left to right; an aisle column sits between blocks.
        var blocks: [Int]
        /// Price bands from the front, with how many rows each takes.
        var bands: [(SeatCategory, Int)]
    }

    static let silver = SeatCategory(id: "silver", name: "Silver", rank: 0)
    static let gold = SeatCategory(id: "gold", name: "Gold", rank: 1)
    static let platinum = SeatCategory(id: "platinum", name: "Platinum", rank: 2)
    static let recliner = SeatCategory(id: "recliner", name: "Recliner", rank: 3)

    /// Halls by size, smallest first; `flagship` has more than 500 seats.
    static let studio = Hall(blocks: [6, 6], bands: [(silver, 4), (gold, 3), (recliner, 1)])
    static let medium = Hall(blocks: [4, 10, 4], bands: [(silver, 5), (gold, 5), (recliner, 2)])
    static let large = Hall(blocks: [5, 12, 5], bands: [(silver, 6), (gold, 7), (recliner, 3)])
    static let arena = Hall(blocks: [6, 12, 6], bands: [(silver, 7), (gold, 5), (platinum, 4)])
    static let flagship = Hall(blocks: [6, 14, 6], bands: [(silver, 7), (gold, 8), (platinum, 4), (recliner, 3)])

    static func rowName(_ index: Int) -> String {
        let letters = Array("ABCDEFGHJKLMNPQRSTUVWXYZ")  // no I or O, as cinemas print them
        return index < letters.count
            ? String(letters[index])
            : String(letters[index / letters.count - 1]) + String(letters[index % letters.count])
    }

    static func layout(_ hall: Hall) -> SeatLayout {
        var seats: [Seat] = []
        var y = 0
        var rowIndex = 0
        for (bandIndex, (category, rowCount)) in hall.bands.enumerated() {
            if bandIndex > 0 { y += 1 }  // cross-aisle between price bands
            for rowInBand in 0..<rowCount {
                let row = rowName(rowIndex)
                // Recliners are wide: their rows keep only the centre block.
                let blocks = category == recliner ? [hall.blocks.max()!] : hall.blocks
                let widest = hall.blocks.reduce(0, +) + hall.blocks.count - 1
                let used = blocks.reduce(0, +) + blocks.count - 1
                var x = (widest - used) / 2
                var number = 1
                let lastRowOfFirstBand = bandIndex == 0 && rowInBand == rowCount - 1
                for (blockIndex, width) in blocks.enumerated() {
                    if blockIndex > 0 { x += 1 }
                    for _ in 0..<width {
                        let atRowEnd = number <= 2 || number > blocks.reduce(0, +) - 2
                        seats.append(
                            Seat(
                                row: row, number: number, x: x, y: y, category: category.id,
                                accessible: (lastRowOfFirstBand || category == recliner && rowInBand == 0) && atRowEnd))
                        x += 1
                        number += 1
                    }
                }
                y += 1
                rowIndex += 1
            }
        }
        return SeatLayout(categories: hall.bands.map(\.0), seats: seats)
    }
}
