// `npm test` fails when the suite leaves a file or folder in the temp directory, and names it.
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { root } from './helpers/cli.ts'

// Without NODE_TEST_CONTEXT the runner inside is a top-level one, as under npm test, with its own exit code.
const { NODE_TEST_CONTEXT: _child, ...topLevel } = process.env

const check = (fixture: string) =>
  spawnSync(
    process.execPath,
    [
      join(root, 'scripts', 'test-leaves-no-temp.js'),
      join(root, 'test', 'fixtures', 'temp-leftovers', fixture),
    ],
    { cwd: root, encoding: 'utf8', env: topLevel },
  )

describe('the suite’s temp directory check', () => {
  test('a test that leaves a folder in the temp directory fails the run, which names the folder', () => {
    const run = check('leaves-a-folder.ts')
    assert.equal(run.status, 1, run.stdout + run.stderr)
    assert.match(
      run.stderr,
      /the suite left 1 file\(s\) or folder\(s\) in the temp directory: forgotten-by-a-test-\w+/,
    )
  })

  test('a test that removes what it made passes', () => {
    const run = check('cleans-up.ts')
    assert.equal(run.status, 0, run.stdout + run.stderr)
  })

  test('a failing test still fails the run when it leaves nothing behind', () => {
    const run = check('fails.ts')
    assert.equal(run.status, 1, run.stdout + run.stderr)
    assert.doesNotMatch(run.stderr, /the suite left/)
  })
})
