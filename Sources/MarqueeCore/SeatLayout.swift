/// A price band of seats in a screen, such as Recliner, Gold or Silver.
public struct SeatCategory: Hashable, Sendable, Codable {
    public typealias ID = Identifier<SeatCategory>
    public var id: ID
    public var name: String
    /// Drawing order from the screen backwards; 0 is nearest the screen.
    public var rank: Int

    public init(id: ID, name: String, rank: Int) {
        self.id = id
        self.name = name
        self.rank = rank
    }
}

/// One physical seat. `x` and `y` are grid positions that include aisles and gaps,
/// so two seats are side by side only when they share `y` and differ by 1 in `x`.
public struct Seat: Hashable, Sendable, Codable {
    public typealias ID = Identifier<Seat>
    public var id: ID
    public var row: String
    public var number: Int
    public var x: Int
    public var y: Int
    public var category: SeatCategory.ID
    public var accessible: Bool

    public init(row: String, number: Int, x: Int, y: Int, category: SeatCategory.ID, accessible: Bool = false) {
        self.id = ID("\(row)\(number)")
        self.row = row
        self.number = number
        self.x = x
        self.y = y
        self.category = category
        self.accessible = accessible
    }
}

/// The seats of a screen, in row-major order.
public struct SeatLayout: Hashable, Sendable, Codable {
    public var categories: [SeatCategory]
    public var seats: [Seat]

    public init(categories: [SeatCategory], seats: [Seat]) {
        self.categories = categories
        self.seats = seats.sorted { ($0.y, $0.x) < ($1.y, $1.x) }
    }

    public var width: Int { (seats.map(\.x).max() ?? -1) + 1 }
    public var height: Int { (seats.map(\.y).max() ?? -1) + 1 }

    /// Position of each seat in `seats`, for O(1) lookup by id.
    public func indexById() -> [Seat.ID: Int] {
        Dictionary(uniqueKeysWithValues: seats.enumerated().map { ($1.id, $0) })
    }
}

/// What a seat of a show is doing right now.
public enum SeatStatus: String, Sendable, Codable, CaseIterable {
    case available, held, booked, blocked

    /// The integer stored in the database for this status.
    public var code: Int {
        switch self {
        case .available: 0
        case .held: 1
        case .booked: 2
        case .blocked: 3
        }
    }

    public init?(code: Int) {
        switch code {
        case 0: self = .available
        case 1: self = .held
        case 2: self = .booked
        case 3: self = .blocked
        default: return nil
        }
    }
}
