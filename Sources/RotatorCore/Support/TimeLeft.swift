import Foundation

/// "5d 3h", "2h 10m", "expired 1d ago": the time until a token expires, as people read it.
public enum TimeLeft {
    public static func describe(until expiry: Date?, from now: Date) -> String {
        guard let expiry else { return "never expires" }
        let seconds = Int(expiry.timeIntervalSince(now))
        if seconds < 0 { return "expired \(span(-seconds)) ago" }
        return "expires in \(span(seconds))"
    }

    public static func span(_ seconds: Int) -> String {
        let days = seconds / 86_400
        let hours = (seconds % 86_400) / 3_600
        let minutes = (seconds % 3_600) / 60
        if days > 0 { return "\(days)d \(hours)h" }
        if hours > 0 { return "\(hours)h \(minutes)m" }
        return "\(max(minutes, 0))m"
    }
}
