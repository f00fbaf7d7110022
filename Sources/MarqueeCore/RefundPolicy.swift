import Foundation

/// How much of a booking comes back when it is cancelled, by how long before
/// the show: data per venue, not code.
public struct RefundPolicy: Hashable, Sendable, Codable {
    public struct Tier: Hashable, Sendable, Codable {
        /// This tier applies when the show starts at least this many hours after cancelling.
        public var hoursBefore: Double
        public var percent: Int

        public init(hoursBefore: Double, percent: Int) {
            self.hoursBefore = hoursBefore
            self.percent = percent
        }
    }

    public var tiers: [Tier]

    public init(tiers: [Tier]) { self.tiers = tiers.sorted { $0.hoursBefore > $1.hoursBefore } }

    /// More than 24 h before: everything back; 2-24 h: half; under 2 h: no cancelling.
    public static let standard = RefundPolicy(tiers: [
        Tier(hoursBefore: 24, percent: 100), Tier(hoursBefore: 2, percent: 50),
    ])

    /// The refund for cancelling at `now`, or nil when the window has closed.
    public func refund(for total: Money, showStartsAt: Date, at now: Date) -> Money? {
        let hours = showStartsAt.timeIntervalSince(now) / 3600
        guard
            let tier = tiers.first(where: { hours > $0.hoursBefore || (hours >= $0.hoursBefore && $0.hoursBefore == 0) }
            )
        else { return nil }
        // Round down to whole minor units: never refund more than the tier says.
        return Money(amount: total.amount * Int64(tier.percent) / 100, currency: total.currency)
    }
}
