import assert from 'node:assert/strict'
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import {
  invokedPattern,
  journalEvents,
  lines,
  startSwitchyard,
  switchyard,
  tempDir,
  writeRunbook,
} from './helpers/cli.ts'

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

/** Runbook `name`: a in phase one; b, whose undo runs `undoScript`, and c after b in phase two. */
const writeBWithUndo = (dir: string, name: string, undoScript: string) =>
  writeRunbook(
    dir,
    `version: 1
name: ${name}
phases:
  - id: one
    steps:
${undoable('a')}  - id: two
    steps:
      - id: b
        uses: exec
        with:
          command: sh
          args: [-c, 'echo b >> applied.log']
          rollback: { command: sh, args: [-c, '${undoScript}'] }
${undoable('c', '        needs: b\n')}`,
  )

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

/** A step that marks it started, then holds while switchyard lives (so it never outlives the test). */
const holding = (id: string, extra = '', undo = false) => `      - id: ${id}
        uses: exec
${extra}        with:
          command: sh
          args: [-c, 'echo ${id} >> applied.log; while kill -0 $PPID 2>/dev/null; do sleep 0.05; done']
${undo ? `          rollback: { command: sh, args: [-c, 'echo ${id} >> undone.log'] }\n` : ''}`

/** Waits until the file holds the line, the sign that the CLI got that far (no fixed sleep). */
async function untilLogged(file: string, line: string, cli: ReturnType<typeof startSwitchyard>) {
  while (!lines(file).includes(line)) {
    if (cli.child.exitCode !== null)
      throw new Error(`the CLI exited before ${file} held ${line}: ${cli.output()}`)
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

/** SIGKILLs the CLI once step `id` has started acting (it wrote applied.log: no fixed sleep). */
async function killWhenActing(dir: string, args: string[], id: string) {
  const cli = startSwitchyard(dir, args)
  await untilLogged(join(dir, 'applied.log'), id, cli)
  cli.child.kill('SIGKILL')
  await cli.done
  const name = /^name: (\S+)/m.exec(readFileSync(join(dir, 'runbook.yaml'), 'utf8'))?.[1] ?? ''
  assert.equal(switchyard(dir, ['unlock', name, '--force']).code, 0, "the dead holder's lock is broken")
}

describe('rollback lists every step that may have acted', () => {
  test('a step switchyard cannot undo, cut off mid-apply, is MANUAL in the rollback plan', async () => {
    const dir = workspace()
    writeRunbook(
      dir,
      `version: 1\nname: cutoff\nphases:\n  - id: one\n    steps:\n${undoable('a')}${holding('m', '        needs: a\n')}`,
    )
    await killWhenActing(dir, ['run', 'runbook.yaml'], 'm')
    const preview = switchyard(dir, ['rollback', '--to', 'start', '--dry-run'])
    assert.equal(preview.code, 0, preview.stderr)
    assert.match(
      preview.stdout,
      /MANUAL\s+one\.m \(cut off mid-apply: it may have acted in part\)\n\s+by hand: run sh -c /,
    )
    assert.match(preview.stdout, /undo\s+one\.a/)
    assert.ok(preview.stdout.indexOf('one.m') < preview.stdout.indexOf('one.a'), 'newest first')
  })

  test('steps skipped with --skip-step because they did act are undone on rollback, or listed as manual', async () => {
    const dir = workspace()
    writeRunbook(
      dir,
      `version: 1\nname: skipped\nphases:\n  - id: one\n    steps:\n${holding('u', '', true)}${holding('m', '        needs: u\n')}`,
    )
    await killWhenActing(dir, ['run', 'runbook.yaml'], 'u')
    const blocked = switchyard(dir, ['resume'])
    assert.equal(blocked.code, 3, blocked.stdout + blocked.stderr)
    assert.match(blocked.stdout + blocked.stderr, /--skip-step u/)
    await killWhenActing(dir, ['resume', '--skip-step', 'u', '--reason', 'it did act'], 'm')
    const done = switchyard(dir, ['resume', '--skip-step', 'm', '--reason', 'finished by hand'])
    assert.equal(done.code, 0, done.stdout + done.stderr)

    const preview = switchyard(dir, ['rollback', '--to', 'start', '--dry-run'])
    assert.equal(preview.code, 0, preview.stderr)
    assert.match(
      preview.stdout,
      /MANUAL\s+one\.m \(skipped by .*: finished by hand; it may have acted\)\n\s+by hand: run sh -c /,
    )
    assert.match(
      preview.stdout,
      /undo\s+one\.u \(skipped by .*: it did act; it may have acted\)\n\s+run sh -c 'echo u >> undone\.log'/,
    )
    const back = switchyard(dir, [
      'rollback',
      '--to',
      'start',
      '--approve',
      'm',
      '--reason',
      'took m back by hand',
    ])
    assert.equal(back.code, 0, back.stdout + back.stderr)
    assert.deepEqual(lines(join(dir, 'undone.log')), ['u'])
  })
})

describe('resume after a rollback that did not finish', () => {
  test('finishes the rollback instead of reporting the run completed, and status says which', () => {
    const dir = workspace()
    writeBWithUndo(dir, 'halfway', 'test -f fixed && echo b >> undone.log')
    assert.equal(switchyard(dir, ['run', 'runbook.yaml']).code, 0)
    const failed = switchyard(dir, ['rollback', '--to', 'start'])
    assert.equal(failed.code, 1, failed.stdout + failed.stderr)
    assert.deepEqual(lines(join(dir, 'undone.log')), ['c'])

    const status = switchyard(dir, ['status'])
    assert.match(
      status.stdout,
      new RegExp(
        `rollback to start unfinished: 1 step\\(s\\) undone, 2 still to undo; \`${invokedPattern} resume\` finishes the rollback`,
      ),
    )
    const state = JSON.parse(switchyard(dir, ['status', '--json']).stdout)
    assert.equal(state.rollback.status, 'running')

    const still = switchyard(dir, ['resume'])
    assert.equal(still.code, 1, still.stdout + still.stderr)
    assert.doesNotMatch(still.stdout + still.stderr, /completed/)
    assert.match(still.stdout + still.stderr, /rollback failed at b/)
    assert.deepEqual(lines(join(dir, 'applied.log')), ['a', 'b', 'c'], 'nothing was applied again')

    writeFileSync(join(dir, 'fixed'), '')
    const finished = switchyard(dir, ['resume'])
    assert.equal(finished.code, 1, finished.stdout + finished.stderr)
    assert.match(finished.stdout + finished.stderr, /rolled back to start: 2 step\(s\) undone/)
    assert.deepEqual(lines(join(dir, 'undone.log')), ['c', 'b', 'a'])
    assert.match(
      switchyard(dir, ['status']).stdout,
      new RegExp(
        `rolled back to start: 3 step\\(s\\) undone; \`${invokedPattern} resume\` applies them again`,
      ),
    )

    const forward = switchyard(dir, ['resume'])
    assert.equal(forward.code, 0, forward.stdout + forward.stderr)
    assert.deepEqual(lines(join(dir, 'applied.log')), ['a', 'b', 'c', 'a', 'b', 'c'])
  })

  test('after a rollback killed mid-compensation, resume never reports the run completed', async () => {
    const dir = workspace()
    writeBWithUndo(
      dir,
      'killed',
      'echo b >> undone.log; while [ -f hold ] && kill -0 $PPID 2>/dev/null; do sleep 0.05; done',
    )
    assert.equal(switchyard(dir, ['run', 'runbook.yaml']).code, 0)
    writeFileSync(join(dir, 'hold'), '')
    const rollback = startSwitchyard(dir, ['rollback', '--to', 'start'])
    await untilLogged(join(dir, 'undone.log'), 'b', rollback)
    rollback.child.kill('SIGKILL')
    await rollback.done
    rmSync(join(dir, 'hold'))
    assert.equal(switchyard(dir, ['unlock', 'killed', '--force']).code, 0)
    assert.match(switchyard(dir, ['status']).stdout, /rollback to start unfinished: 1 step\(s\) undone/)

    const resumed = switchyard(dir, ['resume'])
    assert.notEqual(resumed.code, 0, resumed.stdout + resumed.stderr)
    assert.doesNotMatch(resumed.stdout + resumed.stderr, /run \S+ completed/)
    assert.deepEqual(lines(join(dir, 'applied.log')), ['a', 'b', 'c'], 'no undone step was applied again')
  })
})
