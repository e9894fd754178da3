/// No HTTP answer arrived. Says which request and why, never its headers or body.
public enum TransportError: Error, CustomStringConvertible, Sendable {
    case timedOut(request: String, seconds: Int)
    case unreachable(request: String, reason: String)
    case invalidResponse(request: String)

    public var description: String {
        switch self {
        case .timedOut(let request, let seconds):
            "\(request) timed out after \(seconds)s"
        case .unreachable(let request, let reason):
            "\(request) failed: \(reason)"
        case .invalidResponse(let request):
            "\(request) got an answer that is not HTTP"
        }
    }
}
