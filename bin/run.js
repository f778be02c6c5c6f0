#!/usr/bin/env node
// oclif runs bundled from dist/ (scripts/build.js): start-up has a budget, see BENCHMARKS.md.
// On import oclif checks with semver that Node satisfies @oclif/core's engines (>=18); bundled, it
// would load semver and then not find that package.json. So that check is off for the import, and
// this file makes the same check against our own engines, which are stricter.
import { readFileSync } from 'node:fs'

const { engines } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
const floor = /^>=\s*(\d+(?:\.\d+){0,2})$/.exec(engines.node)?.[1]
const version = (text) => text.split('.').map(Number)
const below = (a, b) => {
  for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) < (b[i] ?? 0)
  return false
}
if (floor && below(version(process.versions.node), version(floor)))
  process.emitWarning(
    `Node version must be ${engines.node} to use this CLI. Current node version: ${process.versions.node}`,
  )

const preset = 'OCLIF_DISABLE_ENGINE_WARNING' in process.env
if (!preset) process.env.OCLIF_DISABLE_ENGINE_WARNING = 'true'
const { execute } = await import('../dist/cli/oclif.js')
// Set only for oclif's import: the programs that runbooks start do not inherit it.
if (!preset) delete process.env.OCLIF_DISABLE_ENGINE_WARNING

await execute({ dir: import.meta.url })
