import Foundation

/// Where "now" comes from, so that tests can move time instead of sleeping.
public protocol TimeSource: Sendable {
    var now: Date { get }
}

public struct SystemTimeSource: TimeSource {
    public init() {}
    public var now: Date { Date() }
}

/// A clock that only moves when told to.
public final class ManualTimeSource: TimeSource, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    public init(_ start: Date) { current = start }

    public var now: Date { lock.withLock { current } }

    public func advance(by seconds: TimeInterval) { lock.withLock { current += seconds } }
    public func set(_ date: Date) { lock.withLock { current = date } }
}

/// Makes identifiers for new records.
public protocol IdentifierSource: Sendable {
    func make(prefix: String) -> String
}

/// Random identifiers: a prefix and 20 characters of a UUID's entropy.
public struct RandomIdentifierSource: IdentifierSource {
    public init() {}
    public func make(prefix: String) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text = Array(prefix.utf8)
        text.append(UInt8(ascii: "_"))
        withUnsafeBytes(of: UUID().uuid) { bytes in
            for byte in bytes.prefix(10) {
                text.append(digits[Int(byte >> 4)])
                text.append(digits[Int(byte & 0x0f)])
            }
        }
        return String(decoding: text, as: UTF8.self)
    }
}

/// Identifiers numbered in order, for tests that want to predict them.
public final class SequentialIdentifierSource: IdentifierSource, @unchecked Sendable {
    private let lock = NSLock()
    private var counter = 0

    public init() {}

    public func make(prefix: String) -> String {
        let n = lock.withLock {
            counter += 1
            return counter
        }
        return "\(prefix)_\(n)"
    }
}
