/// `text` for a person at a terminal, `json` (one object per line) for journald and scripts.
public enum LogFormat: String, Sendable, CaseIterable {
    case text
    case json
}
