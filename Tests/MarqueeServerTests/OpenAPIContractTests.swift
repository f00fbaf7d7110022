import Foundation
import Hummingbird
import MarqueeServer
import Testing

/// openapi.yaml and the router must describe the same routes.
@Suite struct OpenAPIContractTests {
    @Test func everyRouteIsDocumentedAndEveryDocumentedRouteExists() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent()
        let text = try String(contentsOf: root.appendingPathComponent("openapi.yaml"), encoding: .utf8)
        var documented = Set<String>()
        var inPaths = false
        var path: String?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("paths:") { inPaths = true; continue }
            if inPaths, let first = line.first, first != " ", first != "#" { inPaths = false }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                path = String(line.dropFirst(2).dropLast())
            } else if let path, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                let method = line.trimmingCharacters(in: .whitespaces).dropLast()
                if ["get", "post", "put", "patch", "delete"].contains(method) {
                    documented.insert("\(method.uppercased()) \(path)")
                }
            }
        }
        let box = try await TestBoxOffice.make()
        // The web pages (HTML for people) are not part of the API document; everything else is.
        let pages = ["/", "/movies/", "/shows/", "/checkout/", "/bookings", "/login", "/register", "/logout"]
        let routed = Set(
            buildRouter(box).routes.map { "\($0.method) \($0.path)" }.filter { route in
                let path = String(route.split(separator: " ")[1])
                return !pages.contains { $0 == "/" ? path == "/" : path.hasPrefix($0) }
            })
        #expect(!documented.isEmpty)
        #expect(routed.subtracting(documented).isEmpty, "routes missing from openapi.yaml")
        #expect(documented.subtracting(routed).isEmpty, "openapi.yaml documents routes the server lacks")
    }
}
