import Foundation
import MarqueeCore
import Testing

/// The QR codes Marquee draws are read by a real scanner: zbarimg (Debian's zbar-tools).
@Suite struct QRScanTests {
    static func zbarimg() throws -> String {
        for path in ["/usr/bin/zbarimg", "/usr/local/bin/zbarimg"]
        where FileManager.default.isExecutableFile(atPath: path) {
            return path
        }
        throw TestFailure("zbarimg is not installed: apt-get install zbar-tools (.ci/run does)")
    }

    /// Decodes an SVG file with zbarimg and returns the text it read.
    static func scan(svg: String) throws -> String {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("qr-\(UUID().uuidString).svg")
        try svg.write(to: file, atomically: true, encoding: .utf8)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try zbarimg())
        process.arguments = ["--quiet", "--raw", file.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = Pipe()
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self).trimmingCharacters(in: .newlines)
    }

    @Test(arguments: [1, 20, 60, 120, 180, 250])
    func zbarimgReadsBackWhatWasEncoded(length: Int) throws {
        let text = String(
            (0..<length).map {
                Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.|")[($0 * 7) % 66]
            })
        let code = try QRCode(bytes: Array(text.utf8))
        #expect(try Self.scan(svg: code.svg()) == text)
    }
}
