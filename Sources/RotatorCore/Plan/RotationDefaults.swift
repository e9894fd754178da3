/// `defaults:` of the plan: what a rotation gets for every key it leaves out.
struct RotationDefaults: Sendable {
    var expiresInDays = 90
    var rotateBeforeDays = 14
    var warnBeforeDays = 3
    var graceMinutes = 0
    var permission = TokenPermission.read
    var nameTemplate = "{purpose} - {project}/{environment} (rotated {date})"
}
