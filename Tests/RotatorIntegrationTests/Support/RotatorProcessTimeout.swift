/// A run of the binary that outlived its deadline; it was killed. The output says where it hung.
struct RotatorProcessTimeout: Error, CustomStringConvertible {
    let arguments: [String]
    let deadline: Duration
    let output: String

    var description: String {
        "envshed-rotator \(arguments.joined(separator: " ")) did not exit within \(deadline) and was killed (SIGKILL); "
            + "a hung binary or a test waiting on something that never happens. Its output:\n\(output)"
    }
}
