import Foundation
import Logging
import MarqueeCore
import MarqueeStore
import ServiceLifecycle
import Synchronization

/// Live seat status for everyone watching a show. Changes from the inventory
/// are collected per show and sent once per tick: each tick encodes one
/// message per changed show and hands the same bytes to every watcher, so a
/// hot show with 10,000 watchers costs one encoding per tick, not one per
/// watcher per change. Recent messages are kept so that a client reconnecting
/// with the last version it saw gets only what it missed.
///
/// On PostgreSQL, changes from other instances can arrive out of order (a
/// lower number after a higher one), so a show's numbers say what was made
/// when, not what this instance heard when. There every message carries a
/// number above all the show's earlier ones (a client drops one that does
/// not), and a reconnecting client always gets a fresh snapshot.
final class SeatFeed: Service, Sendable {
    /// One message as sent: a snapshot or a delta, and the show version it brings a client to.
    struct Message: Sendable {
        /// A heartbeat carries no seats: it keeps a quiet stream's connection in
        /// use, so that a client that has gone is noticed (the write fails) and
        /// proxies do not close an idle stream.
        enum Kind: String, Sendable { case snapshot, delta, heartbeat }
        let kind: Kind
        let version: Int64
        let json: String
    }

    private struct Delta {
        /// The version the client must have had for this delta to apply.
        let after: Int64
        let message: Message
    }

    private struct Channel {
        var watchers: [UInt64: AsyncStream<Message>.Continuation] = [:]
        var pending: [Seat.ID: SeatStatus] = [:]
        var pendingVersion: Int64 = 0
        /// Version of the last message sent (or the first snapshot read).
        var sentVersion: Int64?
        var history: [Delta] = []
        var snapshot: Message?
        var idleTicks = 0
        /// The highest version handed out for the show, in a message or a snapshot.
        var floor: Int64 = 0
    }

    private struct State {
        var channels: [Show.ID: Channel] = [:]
        var nextWatcher: UInt64 = 0
        var encoded = 0
        var finished = false
        /// When watchers last got a heartbeat (or the feed started).
        var heartbeat = ContinuousClock.now
    }

    let inventory: SeatInventory
    let clock: any TimeSource
    let tick: Duration
    /// How often every watcher gets a heartbeat.
    let heartbeat: Duration
    /// How many delta messages a show keeps for clients that reconnect (while anyone still watches it).
    let historyLength: Int
    /// Whether other instances write to the same database (PostgreSQL).
    let shared: Bool
    private let state = Mutex(State())
    private var idleTicksBeforeForgetting: Int { max(1, Int(60 / Self.seconds(tick))) }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    init(
        inventory: SeatInventory, clock: any TimeSource, tick: Duration = .milliseconds(200),
        heartbeat: Duration = .seconds(15), historyLength: Int = 64
    ) {
        self.inventory = inventory
        self.clock = clock
        self.tick = tick
        self.heartbeat = heartbeat
        self.historyLength = historyLength
        shared = !inventory.ledger.groupsCommits
        inventory.observe { [weak self] deltas in self?.record(deltas) }
        inventory.observeResync { [weak self] shows in self?.resync(shows) }
    }

    /// The inventory re-read some shows (nil: all): their watchers get a fresh
    /// snapshot, and reconnecting clients no longer get deltas from before it.
    private func resync(_ shows: Set<Show.ID>?) {
        let watched = state.withLock { state -> [Show.ID] in
            var watched: [Show.ID] = []
            for (show, var channel) in state.channels where shows?.contains(show) ?? true {
                channel.history.removeAll()
                channel.pending.removeAll()
                channel.snapshot = nil
                channel.sentVersion = nil
                state.channels[show] = channel
                if !channel.watchers.isEmpty { watched.append(show) }
            }
            return watched
        }
        guard !watched.isEmpty else { return }
        Task {
            for show in watched {
                guard let snapshot = try? await self.snapshot(of: show) else { continue }
                let watchers = self.state.withLock { state -> [AsyncStream<Message>.Continuation] in
                    guard var channel = state.channels[show] else { return [] }
                    channel.sentVersion = max(channel.sentVersion ?? 0, snapshot.version)
                    state.channels[show] = channel
                    return Array(channel.watchers.values)
                }
                for watcher in watchers { watcher.yield(snapshot) }
            }
        }
    }

    /// Messages encoded so far (snapshots and deltas), for the coalescing test and metrics.
    var encodedMessages: Int { state.withLock { $0.encoded } }

    /// Watchers of every show.
    var watcherTotal: Int { state.withLock { $0.channels.values.reduce(0) { $0 + $1.watchers.count } } }

    func watcherCount(of show: Show.ID) -> Int { state.withLock { $0.channels[show]?.watchers.count ?? 0 } }

    func run() async throws {
        await repeatUntilShutdown(every: tick) { flush() }
        // Let streaming responses end so that the server can stop.
        let watchers = state.withLock { state in
            state.finished = true
            return state.channels.values.flatMap(\.watchers.values)
        }
        for watcher in watchers { watcher.finish() }
    }

    /// Starts following a show: the first message is what the client missed
    /// since `version` when the recent history has it, a fresh snapshot otherwise.
    func watch(_ show: Show.ID, since version: Int64?) async throws -> AsyncStream<Message>? {
        try await follow(show, since: version)?.messages
    }

    /// A watcher's messages, and a way to end them from outside (graceful shutdown).
    struct Watch: Sendable {
        let messages: AsyncStream<Message>
        let end: @Sendable () -> Void
    }

    func follow(_ show: Show.ID, since version: Int64?) async throws -> Watch? {
        let (stream, continuation) = AsyncStream<Message>.makeStream()
        let id: UInt64? = state.withLock { state in
            guard !state.finished else { return nil }
            state.nextWatcher += 1
            state.channels[show, default: Channel()].watchers[state.nextWatcher] = continuation
            return state.nextWatcher
        }
        guard let id else { return nil }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { _ = $0.channels[show]?.watchers.removeValue(forKey: id) }
        }
        // Registered before reading, so nothing committed from here on is missed.
        let missed: [Message]? = version.flatMap { since in
            if shared { return nil }
            return state.withLock { state in
                guard let channel = state.channels[show], let sent = channel.sentVersion, since <= sent else {
                    return nil
                }
                if since == sent { return [] }
                guard let oldest = channel.history.first, oldest.after <= since else { return nil }
                return channel.history.filter { $0.message.version > since }.map(\.message)
            }
        }
        if let missed {
            for message in missed { continuation.yield(message) }
        } else {
            guard let snapshot = try await snapshot(of: show) else {
                continuation.finish()
                return nil
            }
            continuation.yield(snapshot)
        }
        return Watch(messages: stream, end: { continuation.finish() })
    }

    /// The show's seats as one message, encoded once per version.
    private func snapshot(of show: Show.ID) async throws -> Message? {
        guard let seats = try await inventory.seats(of: show) else { return nil }
        // Shared: at or above every number handed out, and not cached (a late change
        // with a lower number alters the seats without raising the board's version).
        let version = shared ? max(seats.version, state.withLock { $0.channels[show]?.floor ?? 0 }) : seats.version
        if !shared, let cached = state.withLock({ $0.channels[show]?.snapshot }), cached.version == version {
            return cached
        }
        let now = clock.now
        var json = JSONWriter()
        json.beginObject()
        json.key("seats")
        json.beginArray()
        for (id, seat) in seats.seats.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
            json.beginObject()
            json.field("id", id.rawValue)
            json.field("status", seat.visibleStatus(at: now).rawValue)
            json.endObject()
        }
        json.endArray()
        json.field("type", "snapshot")
        json.field("version", version)
        json.endObject()
        let message = Message(kind: .snapshot, version: version, json: String(buffer: json.buffer))
        state.withLock { state in
            state.encoded += 1
            if var channel = state.channels[show] {
                if !shared, (channel.snapshot?.version ?? -1) < version { channel.snapshot = message }
                if channel.sentVersion == nil { channel.sentVersion = version }
                channel.floor = max(channel.floor, version)
                state.channels[show] = channel
            }
        }
        return message
    }

    /// Collects committed changes of watched shows until the next tick.
    private func record(_ deltas: [SeatDelta]) {
        state.withLock { state in
            for delta in deltas where state.channels[delta.showId] != nil {
                for (seat, seatState) in delta.seats {
                    state.channels[delta.showId]!.pending[seat] = seatState.status
                }
                state.channels[delta.showId]!.pendingVersion = max(
                    state.channels[delta.showId]!.pendingVersion, delta.version)
            }
        }
    }

    /// Sends what changed since the last tick: one encoded message per changed
    /// show; every `heartbeat`, a heartbeat to every watcher.
    func flush() {
        let sends: [(Message, [AsyncStream<Message>.Continuation])] = state.withLock { state in
            var sends: [(Message, [AsyncStream<Message>.Continuation])] = []
            let now = ContinuousClock.now
            if now - state.heartbeat >= heartbeat {
                state.heartbeat = now
                let everyone = state.channels.values.flatMap(\.watchers.values)
                if !everyone.isEmpty { sends.append((Message(kind: .heartbeat, version: 0, json: ""), everyone)) }
            }
            for (show, var channel) in state.channels {
                if channel.watchers.isEmpty {
                    // Nobody has watched for a minute: forget the show (a returning client gets a fresh snapshot).
                    channel.idleTicks += 1
                    if channel.idleTicks > idleTicksBeforeForgetting {
                        state.channels[show] = nil
                        continue
                    }
                } else {
                    channel.idleTicks = 0
                }
                state.channels[show] = channel
                guard !channel.pending.isEmpty else { continue }
                var json = JSONWriter()
                json.beginObject()
                json.key("changes")
                json.beginArray()
                for (seat, status) in channel.pending.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                    json.beginObject()
                    json.field("seat_id", seat.rawValue)
                    json.field("status", status.rawValue)
                    json.endObject()
                }
                json.endArray()
                json.field("type", "delta")
                let version = shared ? max(channel.pendingVersion, channel.floor + 1) : channel.pendingVersion
                json.field("version", version)
                json.endObject()
                let message = Message(kind: .delta, version: version, json: String(buffer: json.buffer))
                state.encoded += 1
                channel.history.append(Delta(after: channel.sentVersion ?? 0, message: message))
                if channel.history.count > historyLength { channel.history.removeFirst() }
                channel.sentVersion = version
                channel.floor = max(channel.floor, version)
                channel.pending.removeAll(keepingCapacity: true)
                sends.append((message, Array(channel.watchers.values)))
                state.channels[show] = channel
            }
            return sends
        }
        for (message, watchers) in sends {
            for watcher in watchers { watcher.yield(message) }
        }
    }
}
