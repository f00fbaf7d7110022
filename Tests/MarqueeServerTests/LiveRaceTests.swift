import AsyncHTTPClient
import Foundation
import GRDB
import Hummingbird
import HummingbirdTesting
import MarqueeCore
import MarqueeServer
import NIOCore
import Testing

/// Races over real HTTP against the running server, then checks the database.
@Suite struct LiveRaceTests {
    @Test func twoHundredClientsRaceForTheSameFourSeatsAndExactlyOneWins() async throws {
        let box = try await TestBoxOffice.make()
        let show = box.upcomingShow(after: TestBoxOffice.start, seats: 500)
        try await buildApplication(box).test(.live) { client in
            let port = try #require(client.port)
            let api = APIClient(client: client)
            var tokens: [String] = []
            for n in 0..<200 { tokens.append(try await api.register("racer\(n)")) }

            let http = RaceClient.make(connections: tokens.count)
            let statuses = await withTaskGroup(of: Int.self) { group in
                for token in tokens {
                    group.addTask {
                        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/v1/shows/\(show.id)/holds")
                        request.method = .POST
                        request.headers.add(name: "Authorization", value: "Bearer \(token)")
                        request.headers.add(name: "Content-Type", value: "application/json")
                        request.body = .bytes(ByteBuffer(string: #"{"seat_ids":["G11","G12","G13","G14"]}"#))
                        guard let response = try? await http.execute(request, timeout: RaceClient.deadline) else {
                            return -1
                        }
                        _ = try? await response.body.collect(upTo: 1 << 20)
                        return Int(response.status.code)
                    }
                }
                var all: [Int] = []
                for await status in group { all.append(status) }
                return all
            }
            try await http.shutdown()

            #expect(statuses.filter { $0 == 201 }.count == 1)
            #expect(statuses.filter { $0 == 409 }.count == 199)
            // The database agrees: the four seats belong to one live hold.
            let holders = try await box.strings(
                "SELECT DISTINCT hold_id FROM show_seats WHERE show_id = ? AND seat_id IN ('G11','G12','G13','G14') AND status = 1",
                show.id.rawValue)
            #expect(holders.count == 1)
            #expect(try await box.inventory.ledger.invariantViolations(now: box.environment.clock.now).isEmpty)
        }
    }

    @Test func theExpiryTimerEndsAHoldSoonAfterItsTime() async throws {
        let clock = ManualTimeSourceFactory.make()
        let box = try await TestBoxOffice.make(clock: clock, holdTTL: 60)
        let show = box.upcomingShow(after: TestBoxOffice.start, seats: 500)
        try await buildApplication(box).test(.live) { client in
            let api = APIClient(client: client)
            let token = try await api.register("timer")
            let created = try await api.send(
                .post, "/api/v1/shows/\(show.id)/holds", token: token, json: #"{"seat_ids":["C3"]}"#)
            let holdId = try #require(try created.object()["hold_id"] as? String)
            clock.advance(by: 60)
            // The running timer (not the test) must end it; give it up to two seconds of real time.
            var stored: Hold.Status?
            for _ in 0..<40 {
                stored = try await box.inventory.hold(Hold.ID(holdId))?.storedStatus
                if stored == .expired { break }
                try await Task.sleep(for: .milliseconds(50))
            }
            #expect(stored == .expired)
        }
    }
}
