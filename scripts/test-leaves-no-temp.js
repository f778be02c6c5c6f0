// `npm test`: runs node's test runner on the given files with TMPDIR pointing at a folder of its own,
// then fails if the suite left anything there. The folder wraps the whole run, so it covers every
// test file that `node --test` runs in its own process, and every program the tests start.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

const folder = mkdtempSync(join(tmpdir(), 'switchyard-suite-'))
const run = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-reporter=spec', ...process.argv.slice(2)],
  { stdio: 'inherit', env: { ...process.env, TMPDIR: folder } },
)
// tsx's compile cache belongs to the runner and is meant to outlive a run; nothing a test made.
const left = readdirSync(folder).filter((name) => !/^tsx-\d+$/.test(name))
rmSync(folder, { recursive: true, force: true })
if (left.length > 0) {
  console.error(
    `\nthe suite left ${left.length} file(s) or folder(s) in the temp directory: ${left.join(', ')}\n` +
      '  hint: remove what each test makes in an after() hook (the names say which test made them)',
  )
  process.exit(1)
}
process.exit(run.status ?? 1)
