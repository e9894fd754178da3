import Foundation
import RotatorCore
import Testing

/// YAML merge keys (`<<: *base`, `<<: [*a, *b]`) in plans, as https://yaml.org/type/merge.html
/// defines them: the mapping's own keys override merged ones, and among merged mappings the
/// first listed wins. Anchors live under top-level `x-` keys, which the parser skips.
@Suite("Plan merge keys")
struct PlanMergeKeyTests {
    static let merged = """
        version: 1
        envshed: { org: acme, token: env:ENVSHED_TOKEN }
        providers:
          github: { token: env:GITHUB_TOKEN }
        x-rotation: &rotation
          scope: environment
          permission: read
          expires_in_days: 30
          rotate_before_days: 7
          purpose: shared purpose
        x-short: &short
          expires_in_days: 14
          rotate_before_days: 3
        x-api: &api
          project: { slug: api, id: 3f1c2b7e-0000-4000-8000-000000000001 }
        rotations:
          - <<: [*rotation, *api, *short]
            id: api-production
            purpose: GitHub Actions deploy
            environment: { slug: production, id: 9ab20000-0000-4000-8000-000000000002 }
            targets:
              - github: { repo: acme/api, environment: production, secret: ENVSHED_TOKEN }
          - <<: [*api, *short, *rotation]
            id: api-staging
            environment: { slug: staging, id: 9ab20000-0000-4000-8000-000000000003 }
            targets:
              - github: { repo: acme/api, environment: staging, secret: ENVSHED_TOKEN }

        """

    /// `merged` written out by hand.
    static let expanded = """
        version: 1
        envshed: { org: acme, token: env:ENVSHED_TOKEN }
        providers:
          github: { token: env:GITHUB_TOKEN }
        rotations:
          - id: api-production
            purpose: GitHub Actions deploy
            scope: environment
            permission: read
            expires_in_days: 30
            rotate_before_days: 7
            project: { slug: api, id: 3f1c2b7e-0000-4000-8000-000000000001 }
            environment: { slug: production, id: 9ab20000-0000-4000-8000-000000000002 }
            targets:
              - github: { repo: acme/api, environment: production, secret: ENVSHED_TOKEN }
          - id: api-staging
            purpose: shared purpose
            scope: environment
            permission: read
            expires_in_days: 14
            rotate_before_days: 3
            project: { slug: api, id: 3f1c2b7e-0000-4000-8000-000000000001 }
            environment: { slug: staging, id: 9ab20000-0000-4000-8000-000000000003 }
            targets:
              - github: { repo: acme/api, environment: staging, secret: ENVSHED_TOKEN }

        """

    /// The plan without where each value was written, to compare two spellings of one plan.
    static func canonical(_ plan: Plan) -> String {
        var plan = plan
        let nowhere = RotatorCore.SourceLocation(file: "", line: 0, column: 0)
        for index in plan.rotations.indices {
            plan.rotations[index].location = nowhere
            plan.rotations[index].adopt?.location = nil
            for target in plan.rotations[index].targets.indices {
                plan.rotations[index].targets[target].location = nowhere
            }
        }
        plan.path = ""
        plan.warnings = []
        var text = ""
        dump(plan, to: &text)
        return text
    }

    static func errors(_ yaml: String) -> [PlanDiagnostic] {
        do {
            _ = try PlanLoader.parse(yaml, file: "plan.yaml")
            return []
        } catch {
            guard case .invalid(let diagnostics) = error else { return [] }
            return diagnostics.filter { $0.severity == .error }
        }
    }

    @Test("a plan with merge keys equals the plan written out")
    func mergedEqualsExpanded() throws {
        let merged = try PlanLoader.parse(Self.merged, file: "plan.yaml")
        let expanded = try PlanLoader.parse(Self.expanded, file: "plan.yaml")
        #expect(merged.rotations.count == 2)
        #expect(Self.canonical(merged) == Self.canonical(expanded))
    }

    @Test("own keys override merged ones; the first merged mapping overrides later ones")
    func precedence() throws {
        let plan = try PlanLoader.parse(Self.merged, file: "plan.yaml")
        let production = try #require(plan.rotation(id: "api-production"))
        #expect(production.purpose == "GitHub Actions deploy", "its own purpose, not the merged one")
        #expect(production.expiresInDays == 30, "*rotation is listed before *short")
        #expect(production.rotateBeforeDays == 7)
        let staging = try #require(plan.rotation(id: "api-staging"))
        #expect(staging.purpose == "shared purpose")
        #expect(staging.expiresInDays == 14, "*short is listed before *rotation")
        #expect(staging.rotateBeforeDays == 3)
        #expect(staging.project?.slug == "api")
    }

    @Test("an error inside a merged mapping points at the anchor's line and column")
    func errorInMergedMapping() {
        let yaml = Self.merged.replacingOccurrences(of: "  expires_in_days: 14", with: "  expires_in_days: fourteen")
        let errors = Self.errors(yaml)
        #expect(!errors.isEmpty)
        // x-short's value is on line 12, after `  expires_in_days: `.
        #expect(errors.allSatisfy { $0.location.line == 12 && $0.location.column == 20 }, "\(errors)")
        #expect(errors.contains { $0.message.contains("rotations[1].expires_in_days: expected a whole number, got 'fourteen'") }, "\(errors)")
    }

    @Test("an unknown key that comes in by a merge is refused where the anchor spells it")
    func unknownKeyViaMerge() {
        let yaml = Self.merged.replacingOccurrences(of: "  rotate_before_days: 3", with: "  rotate_befor_days: 3")
        let errors = Self.errors(yaml)
        #expect(errors.contains {
            $0.location.line == 13 && $0.location.column == 3
                && $0.message.contains("unknown key 'rotate_befor_days'; did you mean 'rotate_before_days'?")
        }, "\(errors)")
    }

    @Test("a merge key takes only mappings; a quoted \"<<\" and x- keys below the top level are ordinary unknown keys")
    func refusedMerges() {
        let scalar = Self.errors(Self.merged.replacingOccurrences(of: "  - <<: [*rotation, *api, *short]\n", with: "  - <<: 3\n"))
        #expect(scalar.contains { $0.location.line == 17 && $0.message.contains("a merge key (<<) takes a mapping") }, "\(scalar)")

        let listOfScalars = Self.errors(Self.merged.replacingOccurrences(of: "<<: [*api, *short, *rotation]", with: "<<: [*api, short, *rotation]"))
        #expect(listOfScalars.contains { $0.location.line == 23 && $0.location.column == 16 && $0.message.contains("a merge key (<<) lists mappings") }, "\(listOfScalars)")

        let quoted = Self.errors(Self.merged.replacingOccurrences(of: "  - <<: [*rotation, *api, *short]\n", with: "  - \"<<\": *rotation\n"))
        #expect(quoted.contains { $0.location.line == 17 && $0.message.contains("unknown key '<<'") }, "\(quoted)")

        let nested = Self.errors(Self.merged.replacingOccurrences(of: "    id: api-staging\n", with: "    id: api-staging\n    x-note: hello\n"))
        #expect(nested.contains { $0.message.contains("unknown key 'x-note'") }, "\(nested)")

        // YAML allows one `<<` per mapping, like any key: several sources go in one list.
        let twice = Self.errors(Self.merged.replacingOccurrences(of: "    id: api-staging\n", with: "    id: api-staging\n    <<: *short\n"))
        #expect(twice.contains { $0.message.contains("duplicate key") }, "\(twice)")
    }
}
