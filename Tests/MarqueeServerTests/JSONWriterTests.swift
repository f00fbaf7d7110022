import Foundation
import NIOCore
import Testing

@testable import MarqueeServer

@Suite struct JSONWriterTests {
    @Test func stringsWithQuotesBackslashesAndControlCharactersRoundTrip() throws {
        let awkward = "say \"hi\"\\ to\nRow F\t\u{01} – café ✓"
        var json = JSONWriter()
        json.beginObject()
        json.field("text", awkward)
        json.field("count", -42)
        json.field("list", strings: ["a", "b\"c", ""])
        json.key("nested")
        json.beginObject()
        json.endObject()
        json.endObject()
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(buffer: json.buffer)) as? [String: Any])
        #expect(parsed["text"] as? String == awkward)
        #expect(parsed["count"] as? Int == -42)
        #expect(parsed["list"] as? [String] == ["a", "b\"c", ""])
        #expect((parsed["nested"] as? [String: Any])?.isEmpty == true)
    }
}
