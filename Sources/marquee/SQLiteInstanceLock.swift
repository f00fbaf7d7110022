import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One `marquee serve` per SQLite file: each instance keeps the seats of the
/// shows it serves in memory, so a second one on the same file would show
/// seats held through the first as free. (Several instances share PostgreSQL.)
/// The lock is an advisory `flock` on `<database>.lock`, which holds the pid of
/// the instance that has it; the system lets it go when that process ends,
/// however it ends.
enum SQLiteInstanceLock {
    /// Takes the lock for the rest of the process's life, or throws naming who has it.
    static func take(database path: String) throws {
        let directory = (path as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let lockPath = path + ".lock"
        let fd = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw LockError(description: "cannot open \(lockPath): \(String(cString: strerror(errno)))")
        }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            var bytes = [UInt8](repeating: 0, count: 32)
            let count = read(fd, &bytes, bytes.count)
            close(fd)
            let holder = String(decoding: bytes.prefix(max(0, count)), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
            throw LockError(
                description:
                    "another marquee serve\(holder.isEmpty ? "" : " (pid \(holder))") is using \(path); "
                    + "one instance per SQLite file (several instances share PostgreSQL: --database-url)")
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pwrite(fd, pid, pid.count, 0)
        // Left open on purpose: closing the descriptor would let the lock go.
    }

    struct LockError: Error, CustomStringConvertible {
        let description: String
    }
}
