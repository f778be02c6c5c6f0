// Values interpolated into `shell: true` commands are data, never code: through the built CLI,
// with a real /bin/sh.
import assert from 'node:assert/strict'
import { existsSync, readdirSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { lines, scratchSpace, switchyard, writeRunbook } from './helpers/cli.ts'

const { workspace, cleanup } = scratchSpace('shell')
after(cleanup)

// The same param unquoted, in double quotes, in single quotes and inside a command substitution.
const RUNBOOK = `version: 1
name: inject
params:
  name: { default: plain }
phases:
  - id: one
    steps:
      - id: greet
        uses: exec
        with:
          shell: true
          command: printf '%s\\n' \${{ params.name }} "\${{ params.name }}" '\${{ params.name }}' "$(printf '%s' \${{ params.name }})" > got
`

describe('shell commands', () => {
  test('a hostile param reaches a shell command intact, in every quoting context, and runs nothing', () => {
    const dir = workspace()
    writeRunbook(dir, RUNBOOK)
    const hostile = `$(touch PWNED)\`touch PWNED2\`'; touch PWNED3; echo "\\$x" # it's`
    const result = switchyard(dir, ['run', 'runbook.yaml', '--param', `name=${hostile}`])
    assert.equal(result.code, 0, result.stdout + result.stderr)
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.startsWith('PWNED')),
      [],
      'the value did not run as code',
    )
    assert.deepEqual(lines(join(dir, 'got')), [hostile, hostile, hostile, hostile])
  })

  test('validate warns at file:line:col where a shell command interpolates, and refuses a here-document', () => {
    const dir = workspace()
    writeRunbook(dir, RUNBOOK)
    const valid = switchyard(dir, ['validate', 'runbook.yaml'])
    assert.equal(valid.code, 0, valid.stderr)
    const warnings = valid.stderr.split('\n').filter((l) => / warning: /.test(l))
    assert.deepEqual(
      warnings.map((l) => l.split(' ')[0]),
      ['runbook.yaml:12:34', 'runbook.yaml:12:54', 'runbook.yaml:12:75', 'runbook.yaml:12:110'],
    )
    assert.match(warnings[0] ?? '', /\$\{\{ params\.name \}\} is interpolated into a shell command/)

    writeRunbook(
      dir,
      RUNBOOK.replace(/command: .*\n/, 'command: "cat <<EOF > got\\n${{ params.name }}\\nEOF"\n'),
      'heredoc.yaml',
    )
    const heredoc = switchyard(dir, ['validate', 'heredoc.yaml'])
    assert.equal(heredoc.code, 2)
    assert.match(heredoc.stderr, /heredoc\.yaml:12:\d+ error: .*inside a here-document/)
    assert.equal(existsSync(join(dir, 'got')), false)
  })
})
