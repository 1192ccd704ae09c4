#!/usr/bin/env bash
# The README's first command. The demo (`nixfleet demo`: build, release, CP,
# agents, a 3-wave canary in the Ink rollout view, then an automatic rollback)
# needs the release pipeline, control plane and agent, which are not built yet.
# Until they are, say so plainly instead of printing anything that looks like
# a rollout.
set -euo pipefail
cd "$(dirname "$0")/.."
cat >&2 <<'MSG'
nixfleet demo: not built yet.

The demo runs the whole signed loop (mkFleet -> nixfleet release -> control
plane -> agents -> canary waves -> automatic rollback). What exists today:
  - the contract schemas and their validators (npm run gen, schemas/),
  - the Nix eval and TypeScript test suites (npm test).
Missing pieces are tracked as open issues: release pipeline, control plane,
agent, harness and demo.
MSG
exit 2
