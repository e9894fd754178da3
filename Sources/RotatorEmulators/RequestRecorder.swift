import Foundation
import Synchronization

/// The ordered log of every request an emulator answered.
///
/// Requests are handled concurrently on NIO's threads, so the log is guarded by a mutex; an entry is
/// appended only once its status is decided, which is what tests assert on.
final class RequestRecorder: Sendable {
    private let entries = Mutex<[RecordedRequest]>([])

    func record(method: String, path: String, query: String?, status: Int) {
        let entry = RecordedRequest(method: method, path: path, query: query, status: status, at: Date())
        entries.withLock { $0.append(entry) }
    }

    var requests: [RecordedRequest] {
        entries.withLock { $0 }
    }
}
