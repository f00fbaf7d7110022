/// An amount of money in minor units (paise, pence, cents) of one currency.
public struct Money: Hashable, Sendable, Codable, CustomStringConvertible {
    public var amount: Int64
    public var currency: String

    public init(amount: Int64, currency: String) {
        self.amount = amount
        self.currency = currency
    }

    public static func zero(_ currency: String) -> Money { Money(amount: 0, currency: currency) }

    /// Adds two amounts of the same currency; mixing currencies is a programming error.
    public static func + (lhs: Money, rhs: Money) -> Money {
        precondition(lhs.currency == rhs.currency, "cannot add \(lhs.currency) to \(rhs.currency)")
        return Money(amount: lhs.amount + rhs.amount, currency: lhs.currency)
    }

    public var description: String {
        let major = amount / 100
        let minor = abs(amount % 100)
        return "\(currency) \(major).\(minor < 10 ? "0" : "")\(minor)"
    }
}

extension Sequence where Element == Money {
    /// The sum of the amounts, or nil when the sequence is empty.
    public func total() -> Money? {
        var iterator = makeIterator()
        guard var sum = iterator.next() else { return nil }
        while let next = iterator.next() { sum = sum + next }
        return sum
    }
}
