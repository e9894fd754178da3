import RotatorCore

/// `rotate --yes` without a person: nothing is asked, what is said is dropped.
struct SilentConsole: OperatorConsole {
    var isInteractive: Bool { false }
    func say(_ line: String) {}
    func ask(_ question: String) -> String? { nil }
}
