import Testing

@testable import RotatorCore

/// The field manager of a Kubernetes target: one per key, within the API server's 128-byte
/// `fieldManager` limit (https://kubernetes.io/docs/reference/using-api/server-side-apply/#managers).
@Suite("Kubernetes field manager: one per key, at most 128 bytes, deterministic")
struct KubernetesFieldManagerTests {
    @Test("a key that fits is named in full")
    func fits() {
        #expect(KubernetesFieldManager.name(forKey: "ENVSHED_TOKEN") == "envshed-rotator/ENVSHED_TOKEN")
        let longest = String(repeating: "k", count: 128 - "envshed-rotator/".count)
        #expect(KubernetesFieldManager.name(forKey: longest) == "envshed-rotator/" + longest)
    }

    @Test("a longer key keeps its start and gets a hash of the whole key: 128 bytes, stable, unique per key")
    func truncated() {
        let base = String(repeating: "k", count: 252)
        let one = KubernetesFieldManager.name(forKey: base + "1")
        let two = KubernetesFieldManager.name(forKey: base + "2")
        #expect(one.utf8.count == 128 && two.utf8.count == 128)
        #expect(one != two)
        #expect(one == KubernetesFieldManager.name(forKey: base + "1"))
        #expect(one.hasPrefix("envshed-rotator/kkk") && one.contains("~"))
        let justOver = String(repeating: "k", count: 113)
        #expect(KubernetesFieldManager.name(forKey: justOver) != "envshed-rotator/" + justOver.prefix(112), "not a plain cut: that would be another key's name")
        #expect(KubernetesFieldManager.name(forKey: justOver).utf8.count == 128)
    }
}
