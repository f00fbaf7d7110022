import Foundation
import MarqueeCore

/// How pages show money, times and dates to people.
enum PageFormat {
    static func money(_ money: Money) -> String {
        let symbol =
            switch money.currency {
            case "INR": "₹"
            case "GBP": "£"
            case "USD": "$"
            case "EUR": "€"
            default: money.currency + " "
            }
        let units = money.amount / 100
        let cents = money.amount % 100
        let grouped = units.formatted(.number.locale(Locale(identifier: "en_US")))
        return cents == 0 ? "\(symbol)\(grouped)" : "\(symbol)\(grouped).\(String(format: "%02d", abs(cents)))"
    }

    /// The spoken name of an amount, for screen readers: "250 rupees".
    static func spokenMoney(_ money: Money) -> String {
        let major = money.amount / 100
        let cents = money.amount % 100
        let unit =
            switch money.currency {
            case "INR": "rupees"
            case "GBP": "pounds"
            case "USD": "dollars"
            case "EUR": "euros"
            default: money.currency
            }
        return cents == 0 ? "\(major) \(unit)" : "\(major).\(String(format: "%02d", abs(cents))) \(unit)"
    }

    private static func formatter(_ pattern: String, _ zone: String) -> DateFormatter {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_GB")
        formatter.timeZone = TimeZone(identifier: zone) ?? .gmt
        formatter.dateFormat = pattern
        return formatter
    }

    /// "19:45" where the show plays.
    static func time(_ date: Date, zone: String) -> String { formatter("HH:mm", zone).string(from: date) }
    /// "Tue 24 Nov" where the show plays.
    static func day(_ date: Date, zone: String) -> String { formatter("EEE d MMM", zone).string(from: date) }
    /// "Tue 24 Nov 2026, 19:45 IST".
    static func dateTime(_ date: Date, zone: String) -> String {
        formatter("EEE d MMM yyyy, HH:mm zzz", zone).string(from: date)
    }
    /// "2026-11-24" in the zone.
    static func isoDay(_ date: Date, zone: String) -> String { formatter("yyyy-MM-dd", zone).string(from: date) }

    static func duration(_ minutes: Int) -> String {
        minutes >= 60 ? "\(minutes / 60)h \(minutes % 60)m" : "\(minutes)m"
    }
}
