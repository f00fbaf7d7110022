import Foundation

/// Temporary directories for test data (database copies, mailboxes, instance
/// logs). Each test leaves its own behind for a look after a failure; the first
/// one made in a test process removes those that earlier runs left more than two
/// hours ago, so repeated runs do not fill the disk.
public enum ScratchDirectory {
    public static func make(_ purpose: String) -> URL {
        _ = sweptOnce
        return FileManager.default.temporaryDirectory.appendingPathComponent("marquee-\(purpose)-\(UUID().uuidString)")
    }

    private static let sweptOnce: Void = {
        let files = FileManager.default
        let root = files.temporaryDirectory
        let cutoff = Date().addingTimeInterval(-2 * 3600)
        for name in (try? files.contentsOfDirectory(atPath: root.path)) ?? [] where name.hasPrefix("marquee-") {
            let url = root.appendingPathComponent(name)
            guard let modified = try? files.attributesOfItem(atPath: url.path)[.modificationDate] as? Date,
                modified < cutoff
            else { continue }
            try? files.removeItem(at: url)
        }
    }()
}
