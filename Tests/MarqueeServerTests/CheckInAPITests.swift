import AsyncHTTPClient
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import MarqueeCore
import MarqueeServer
import MarqueeStore
import MarqueeTestSupport
import NIOCore
import Testing

@Suite struct CheckInAPITests {
    /// A booked ticket's code and the staff token, on a fresh box office; unless
    /// `atTheDoor` is false, the clock then moves to an hour before the show starts.
    func bookedTicket(_ api: APIClient, _ box: BoxOffice, atTheDoor: Bool = true) async throws -> (
        code: String, staff: String
    ) {
        let buyer = try await api.register("guest")
        let show = box.upcomingShow(after: TestBoxOffice.start, seats: 500)
        let hold = try await api.send(
            .post, "/api/v1/shows/\(show.id)/holds", token: buyer, json: #"{"seat_ids":["E5"]}"#)
        let holdId = try #require(try hold.object()["hold_id"] as? String)
        let booking = try await api.send(
            .post, "/api/v1/bookings", token: buyer, json: #"{"hold_id":"\#(holdId)","payment":{"token":"tok_visa"}}"#,
            headers: [.idempotencyKeyTest: "b"])
        let tickets = try #require(try booking.object()["tickets"] as? [[String: Any]])
        let login = try await api.send(
            .post, "/api/v1/auth/login",
            json: #"{"email":"\#(DemoData.staffEmail)","password":"\#(DemoData.staffPassword)"}"#)
        if atTheDoor { try #require(box.environment.clock as? ManualTimeSource).set(show.startsAt - 3600) }
        return (try #require(tickets.first?["code"] as? String), try #require(try login.object()["token"] as? String))
    }

    @Test func aTicketAdmitsOnlyAroundItsShowAndStaysGoodUntilThen() async throws {
        let box = try await TestBoxOffice.make()
        let clock = try #require(box.environment.clock as? ManualTimeSource)
        let show = box.upcomingShow(after: TestBoxOffice.start, seats: 500)
        try await buildApplication(box).test(.router) { client in
            let api = APIClient(client: client)
            let (code, staff) = try await bookedTicket(api, box, atTheDoor: false)
            func scan() async throws -> TestResponse {
                try await api.send(.post, "/api/v1/checkin", token: staff, json: #"{"code":"\#(code)"}"#)
            }
            // Booked in the morning, scanned at once: the show is hours away.
            clock.set(show.startsAt - 3 * 3600 - 60)
            let early = try await scan()
            #expect(early.status == .conflict)
            #expect(try early.object()["code"] as? String == "too_early")
            #expect(try early.object()["show_id"] as? String == show.id.rawValue)
            // Doors open three hours before: the same ticket admits, once.
            clock.set(show.startsAt - 3 * 3600 + 60)
            #expect(try await scan().status == .ok)
            #expect(try await scan().object()["code"] as? String == "already_used")
        }
        // Long after the show, an unused ticket admits nobody.
        let other = try await TestBoxOffice.make()
        let otherClock = try #require(other.environment.clock as? ManualTimeSource)
        let otherShow = other.upcomingShow(after: TestBoxOffice.start, seats: 500)
        try await buildApplication(other).test(.router) { client in
            let api = APIClient(client: client)
            let (code, staff) = try await bookedTicket(api, other, atTheDoor: false)
            otherClock.set(otherShow.startsAt + 13 * 3600)
            let late = try await api.send(.post, "/api/v1/checkin", token: staff, json: #"{"code":"\#(code)"}"#)
            #expect(late.status == .conflict)
            #expect(try late.object()["code"] as? String == "show_over")
            // A genuine code for a show the catalog no longer holds (long over) admits nobody either.
            let old = try other.ticketSigner.code(
                for: TicketClaims(
                    ticketId: Ticket.ID("tkt_old"), bookingId: Booking.ID("bkg_old"), showId: Show.ID("gone-show"),
                    seatId: Seat.ID("A1")))
            let gone = try await api.send(.post, "/api/v1/checkin", token: staff, json: #"{"code":"\#(old)"}"#)
            #expect(gone.status == .conflict)
            #expect(try gone.object()["code"] as? String == "show_over")
        }
    }

    @Test func theFirstScanAdmitsAndTheSecondSaysWhenItWasUsed() async throws {
        let box = try await TestBoxOffice.make()
        try await buildApplication(box).test(.router) { client in
            let api = APIClient(client: client)
            let (code, staff) = try await bookedTicket(api, box)
            let first = try await api.send(.post, "/api/v1/checkin", token: staff, json: #"{"code":"\#(code)"}"#)
            #expect(first.status == .ok)
            #expect(try first.object()["status"] as? String == "admitted")
            #expect(try first.object()["seat_id"] as? String == "E5")
            let second = try await api.send(.post, "/api/v1/checkin", token: staff, json: #"{"code":"\#(code)"}"#)
            #expect(second.status == .conflict)
            #expect(try second.object()["code"] as? String == "already_used")
            let show = box.upcomingShow(after: TestBoxOffice.start, seats: 500)
            #expect(
                try second.object()["first_used_at"] as? String
                    == Date.ISO8601FormatStyle(timeZone: .gmt).format(show.startsAt - 3600))
            let forged = try await api.send(.post, "/api/v1/checkin", token: staff, json: #"{"code":"TVExfGE.Zm9v"}"#)
            #expect(forged.status == .badRequest)
            #expect(try forged.object()["code"] as? String == "invalid_ticket")
            // Buyers cannot let themselves in.
            let buyer = try await api.register("sneaky")
            #expect(
                try await api.send(.post, "/api/v1/checkin", token: buyer, json: #"{"code":"\#(code)"}"#).status
                    == .forbidden)
        }
    }

    @Test func twoScannersRacingOnOneCodeAdmitExactlyOnce() async throws {
        let box = try await TestBoxOffice.make()
        try await buildApplication(box).test(.live) { client in
            let port = try #require(client.port)
            let (code, staff) = try await bookedTicket(APIClient(client: client), box)
            let http = RaceClient.make(connections: 20)
            let statuses = await withTaskGroup(of: Int.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)/api/v1/checkin")
                        request.method = .POST
                        request.headers.add(name: "Authorization", value: "Bearer \(staff)")
                        request.body = .bytes(ByteBuffer(string: #"{"code":"\#(code)"}"#))
                        guard let response = try? await http.execute(request, timeout: RaceClient.deadline) else {
                            return -1
                        }
                        _ = try? await response.body.collect(upTo: 1 << 16)
                        return Int(response.status.code)
                    }
                }
                var all: [Int] = []
                for await status in group { all.append(status) }
                return all
            }
            try await http.shutdown()
            #expect(statuses.filter { $0 == 200 }.count == 1)
            #expect(statuses.filter { $0 == 409 }.count == 19)
        }
    }

    @Test func theCommandLineVerifiesACodeOffline() async throws {
        let box = try await TestBoxOffice.make()
        let binary = try DurabilityTests.marqueeBinary()
        try await buildApplication(box).test(.router) { client in
            let (code, _) = try await bookedTicket(APIClient(client: client), box)
            func run(_ arguments: [String]) async throws -> (Int32, String) {
                let process = Process()
                process.executableURL = binary
                process.arguments = arguments
                let pipe = Pipe()
                process.standardOutput = pipe
                try process.runTiedToTests()
                await process.ended()
                return (
                    process.terminationStatus,
                    String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                )
            }
            let key = box.ticketSigner.publicKey
            let (ok, output) = try await run(["verify-ticket", code, "--public-key=\(key)"])  // "=": a key may start with "-"
            #expect(ok == 0)
            #expect(output.contains("VALID") && output.contains("seat E5"))
            let (bad, _) = try await run([
                "verify-ticket", code.replacingOccurrences(of: ".", with: "x."), "--public-key=\(key)",
            ])
            #expect(bad == 1)
            // The key the server keeps (in its data directory, or on PostgreSQL in the database) verifies the code.
            let store =
                box.configuration.databaseURL.map { ["--database-url", $0] }
                ?? ["--data-dir", box.configuration.dataDirectory]
            let (kept, keptOutput) = try await run(["verify-ticket", code] + store)
            #expect(kept == 0, "\(keptOutput)")
            // A directory without a key is a mistake to name, not a reason to make a new key
            // (which would call the genuine code forged).
            let elsewhere = ScratchDirectory.make("no-key").path
            let (missing, _) = try await run(["verify-ticket", code, "--data-dir", elsewhere])
            #expect(missing == 64)
            #expect(!FileManager.default.fileExists(atPath: elsewhere))
            // Nor is a database that is not Marquee's given Marquee's tables.
            if TestBoxOffice.onPostgres {
                let empty = try await ScratchPostgres.shared.createDatabase()
                let (none, _) = try await run(["verify-ticket", code, "--database-url", empty])
                #expect(none == 64)
                #expect(try await !PostgresBackend.hasMarqueeTables(url: empty, logger: box.logger))
                #expect(
                    try await PostgresBackend.hasMarqueeTables(
                        url: try #require(box.configuration.databaseURL), logger: box.logger))
            }
        }
    }
}
