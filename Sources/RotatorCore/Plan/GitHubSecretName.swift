/// GitHub's rules for Actions secret names, checked offline so a bad name fails `validate`,
/// not the middle of a rotation.
enum GitHubSecretName {
    static func problem(with name: String) -> String? {
        guard let first = name.utf8.first, ASCIIText.isLetter(first) || first == UInt8(ascii: "_") else {
            return "GitHub secret names must start with a letter or an underscore, got '\(name)'"
        }
        guard ASCIIText.isWord(name, extra: "_") else {
            return "GitHub secret names may contain only letters, digits and underscores, got '\(name)'"
        }
        if name.uppercased().hasPrefix("GITHUB_") {
            return "GitHub secret names must not start with GITHUB_, got '\(name)'"
        }
        return nil
    }
}
