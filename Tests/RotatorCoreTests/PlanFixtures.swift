import Foundation

/// Plans used by the unit tests, built from one valid base so each case changes one thing.
enum PlanFixtures {
    static let valid = """
        version: 1
        envshed:
          org: acme
          token: env:ENVSHED_TOKEN
        providers:
          github:
            token: env:GITHUB_TOKEN
        defaults:
          expires_in_days: 60
          rotate_before_days: 10
        rotations:
          - id: api-production-ci
            purpose: GitHub Actions deploy
            scope: environment
            project: { slug: api, id: 3f1c2b7e-0000-4000-8000-000000000001 }
            environment: { slug: production, id: 9ab20000-0000-4000-8000-000000000002 }
            permission: read
            expires_in_days: 30
            rotate_before_days: 7
            adopt: { token_id: 0d6e0000-0000-4000-8000-000000000003, expires_at: 2026-12-31 }
            targets:
              - github: { repo: acme/api, secret: ENVSHED_TOKEN }
              - github: { repo: acme/api, environment: production, secret: ENVSHED_TOKEN }
            verify:
              expect_keys: [DATABASE_URL]
          - id: web-staging
            purpose: Web previews
            scope: project
            project: { slug: web, id: 3f1c2b7e-0000-4000-8000-000000000009 }
            verify:
              pull: { project: web, environment: staging }
            targets:
              - github: { repo: acme/web, secret: ENVSHED_TOKEN }

        """

    /// The valid plan with `original` replaced by `replacement` (which must occur).
    static func valid(replacing original: String, with replacement: String) -> String {
        precondition(valid.contains(original), "fixture does not contain \(original)")
        return valid.replacingOccurrences(of: original, with: replacement)
    }
}
