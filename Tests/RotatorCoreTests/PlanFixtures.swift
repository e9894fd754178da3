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

    /// A valid plan with every kind of target (files in /tmp, which exists everywhere).
    static let allKinds = """
        version: 1
        envshed:
          org: acme
          token: env:ENVSHED_TOKEN
        providers:
          github:
            app: { id: 12345, installation_id: 678, private_key: file:/etc/envshed-rotator/app.pem }
          gitlab:
            token: env:GITLAB_TOKEN
          kubernetes: {}
        rotations:
          - id: api-production-ci
            purpose: Deploy
            scope: project
            project: { slug: api, id: 3f1c2b7e-0000-4000-8000-000000000001 }
            environment: production
            targets:
              - github: { org: acme, secret: ENVSHED_TOKEN, visibility: selected, repos: [acme/api, acme/web] }
              - gitlab: { project: acme/api, variable: ENVSHED_TOKEN, environment_scope: production, masked: true, protected: true }
              - kubernetes: { namespace: api, secret: envshed, key: ENVSHED_TOKEN, restart: deployment/api }
              - file: { path: /tmp/envshed-rotator-test-token, mode: "0640" }
          - id: web-staging
            purpose: Previews
            scope: project
            project: { slug: web, id: 3f1c2b7e-0000-4000-8000-000000000009 }
            environment: staging
            targets:
              - gitlab: { group: acme, variable: ENVSHED_TOKEN, masked_and_hidden: true }
              - file: { path: /tmp/envshed-rotator-test-token-2 }

        """

    /// `allKinds` with `original` replaced by `replacement` (which must occur).
    static func allKinds(replacing original: String, with replacement: String) -> String {
        precondition(allKinds.contains(original), "fixture does not contain \(original)")
        return allKinds.replacingOccurrences(of: original, with: replacement)
    }

    /// The valid plan with `original` replaced by `replacement` (which must occur).
    static func valid(replacing original: String, with replacement: String) -> String {
        precondition(valid.contains(original), "fixture does not contain \(original)")
        return valid.replacingOccurrences(of: original, with: replacement)
    }
}
