import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { journalEvents, lines, switchyard, tempDir, writeRunbook } from './helpers/cli.ts'

const scratch = tempDir('rollback')
after(scratch.cleanup)
let n = 0
function workspace(): string {
  const dir = join(scratch.dir, `w${++n}`)
  mkdirSync(dir)
  return dir
}

const undoable = (id: string, extra = '') => `      - id: ${id}
        uses: exec
${extra}        with:
          command: sh
          args: [-c, 'echo ${id} >> applied.log']
          rollback: { command: sh, args: [-c, 'echo ${id} >> undone.log'] }
`

function runbook(options: { noReturn?: boolean; failInThree?: boolean; manual?: boolean } = {}) {
  return `version: 1
name: reversible
phases:
  - id: one
    steps:
${undoable('a')}  - id: two
${options.noReturn ? '    point_of_no_return: true\n' : ''}    steps:
${undoable('b')}${undoable('c', '        needs: b\n')}${
  options.manual
    ? `      - { id: m, uses: exec, needs: c, with: { command: sh, args: [-c, 'echo m >> applied.log'] } }\n`
    : ''
}  - id: three
${options.failInThree ? '    on_failure: rollback\n' : ''}    steps:
${undoable('d')}${undoable('e', '        needs: d\n')}${
  options.failInThree ? "      - { id: boom, uses: exec, needs: e, with: { command: 'false' } }\n" : ''
}`
}

describe('rollback', () => {
  test('compensations run in exact reverse order of application and stop at the rollback point', () => {
    const dir = workspace()
    writeRunbook(dir, runbook())
    assert.equal(switchyard(dir, ['run', 'runbook.yaml']).code, 0)
    assert.deepEqual(lines(join(dir, 'applied.log')), ['a', 'b', 'c', 'd', 'e'])

    const preview = switchyard(dir, ['rollback', '--to', 'one', '--dry-run'])
    assert.equal(preview.code, 0, preview.stderr)
    assert.match(
      preview.stdout,
      /undo\s+three\.e[\s\S]*undo\s+three\.d[\s\S]*undo\s+two\.c[\s\S]*undo\s+two\.b/,
    )
    assert.deepEqual(lines(join(dir, 'undone.log')), [], 'a dry run undoes nothing')

    const result = switchyard(dir, ['rollback', '--to', 'one'])
    assert.equal(result.code, 0, result.stdout + result.stderr)
    assert.deepEqual(lines(join(dir, 'undone.log')), ['e', 'd', 'c', 'b'])
    const status = switchyard(dir, ['status', '--json'])
    const state = JSON.parse(status.stdout)
    assert.equal(state.status, 'rolled-back')
    assert.deepEqual(state.completedPhases, ['one'])
  })

  test('an unknown or unreached rollback point is refused with the points reached', () => {
    const dir = workspace()
    writeRunbook(dir, runbook())
    assert.equal(switchyard(dir, ['run', 'runbook.yaml', '--until', 'one']).code, 0)
    const unreached = switchyard(dir, ['rollback', '--to', 'three'])
    assert.equal(unreached.code, 2)
    assert.match(unreached.stderr, /phase three has not completed/)
    assert.match(unreached.stderr, /rollback points reached so far: start, one/)
  })

  test('rolling back past a completed point of no return is refused without --force', () => {
    const dir = workspace()
    writeRunbook(dir, runbook({ noReturn: true }))
    assert.equal(switchyard(dir, ['run', 'runbook.yaml']).code, 0)
    const refused = switchyard(dir, ['rollback', '--to', 'one'])
    assert.equal(refused.code, 3)
    assert.match(refused.stderr, /would undo phase two, which is past the point of no return/)
    assert.deepEqual(lines(join(dir, 'undone.log')), [])
    assert.equal(switchyard(dir, ['rollback', '--to', 'two']).code, 0)
    assert.deepEqual(lines(join(dir, 'undone.log')), ['e', 'd'])
    assert.equal(switchyard(dir, ['rollback', '--to', 'start', '--force']).code, 0)
    assert.deepEqual(lines(join(dir, 'undone.log')), ['e', 'd', 'c', 'b', 'a'])
  })

  test('on_failure: rollback undoes the failing phase back to the last rollback point', () => {
    const dir = workspace()
    writeRunbook(dir, runbook({ failInThree: true }))
    const result = switchyard(dir, ['run', 'runbook.yaml'])
    assert.equal(result.code, 1, result.stdout + result.stderr)
    assert.deepEqual(lines(join(dir, 'undone.log')), ['e', 'd'])
    const done = journalEvents(dir).find((e) => e.type === 'rollback-completed')
    assert.equal(done?.to, 'two')
  })

  test('a step switchyard cannot undo waits for an operator to confirm the manual undo', () => {
    const dir = workspace()
    writeRunbook(dir, runbook({ manual: true }))
    assert.equal(switchyard(dir, ['run', 'runbook.yaml']).code, 0)
    const preview = switchyard(dir, ['rollback', '--to', 'one', '--dry-run'])
    assert.match(preview.stdout, /MANUAL\s+two\.m/)
    const paused = switchyard(dir, ['rollback', '--to', 'one'])
    assert.equal(paused.code, 3, paused.stdout + paused.stderr)
    assert.deepEqual(lines(join(dir, 'undone.log')), ['e', 'd'], 'stops before the manual step')
    const confirmed = switchyard(
      dir,
      ['rollback', '--to', 'one', '--approve', 'm', '--reason', 'deleted the line by hand'],
      { SWITCHYARD_OPERATOR: 'dba' },
    )
    assert.equal(confirmed.code, 0, confirmed.stdout + confirmed.stderr)
    assert.deepEqual(lines(join(dir, 'undone.log')), ['e', 'd', 'c', 'b'], 'continues where it stopped, once')
    const manual = journalEvents(dir).find((e) => e.type === 'manual-undo-confirmed')
    assert.equal(manual?.operator, 'dba')
    assert.equal(manual?.reason, 'deleted the line by hand')
  })
})
