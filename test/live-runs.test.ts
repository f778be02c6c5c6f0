import assert from 'node:assert/strict'
import { existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs'
import { userInfo } from 'node:os'
import { join } from 'node:path'
import { describe, test } from 'node:test'
import { invokedAs, journalEvents, lines, switchyard, writeRunbook } from './helpers/cli.ts'
import { undoableStep, useWorkspaces } from './helpers/workspaces.ts'

const workspace = useWorkspaces('live')

const runIds = (dir: string) => readdirSync(join(dir, '.switchyard', 'runs')).sort()
const journalOf = (dir: string, runId: string) =>
  lines(join(dir, '.switchyard', 'runs', runId, 'journal.ndjson')).map(
    (l) => JSON.parse(l) as Record<string, unknown> & { type: string },
  )
/** A runbook of one step that changes nothing and completes. */
const QUICK = `version: 1
name: other
phases:
  - id: only
    steps: [{ id: nothing, uses: noop }]
`
const output = (r: { stdout: string; stderr: string }) => r.stdout + r.stderr

/** Two phases; `shift` in the second fails while fail.flag exists, so the run pauses mid-cutover. */
const cutover = (name = 'cutover') => `version: 1
name: ${name}
phases:
  - id: prepare
    steps:
${undoableStep('prep')}  - id: traffic
    steps:
${undoableStep('shift')}      - { id: check, uses: exec, needs: shift, with: { command: sh, args: [-c, '! test -e fail.flag'] } }
`

function pausedMidCutover(name?: string): { dir: string; runId: string } {
  const dir = workspace(cutover(name))
  writeRunbook(dir, '', 'fail.flag')
  const first = switchyard(dir, ['run', 'runbook.yaml'])
  assert.equal(first.code, 1, output(first))
  assert.deepEqual(lines(join(dir, 'applied.log')), ['prep', 'shift'])
  return { dir, runId: runIds(dir)[0] as string }
}

describe('one live run per runbook', () => {
  test('a second run of a paused runbook is refused with exit 3, naming the live run, where it stands and the choices', () => {
    const { dir, runId } = pausedMidCutover()
    const second = switchyard(dir, ['run', 'runbook.yaml'])
    assert.equal(second.code, 3, output(second))
    assert.match(
      second.stderr,
      new RegExp(
        `runbook cutover has a live run, ${runId}: paused \\(step traffic.check failed\\), at rollback point prepare`,
      ),
    )
    for (const choice of [
      `${invokedAs} resume ${runId}`,
      `${invokedAs} rollback ${runId} --to start`,
      `${invokedAs} abandon ${runId} --reason TEXT`,
    ])
      assert.ok(second.stderr.includes(choice), `offers ${choice}:\n${second.stderr}`)
    assert.deepEqual(runIds(dir), [runId], 'no second run was started')
    assert.deepEqual(lines(join(dir, 'applied.log')), ['prep', 'shift'], 'nothing ran again')
  })

  test('a run killed mid-cutover still holds the runbook after its lock is broken', () => {
    const dir = workspace(cutover())
    const killed = switchyard(dir, ['run', 'runbook.yaml'], { SWITCHYARD_CRASH_AFTER_EVENTS: '6' })
    assert.equal(killed.signal, 'SIGKILL')
    assert.equal(switchyard(dir, ['unlock', 'cutover', '--force']).code, 0)
    const second = switchyard(dir, ['run', 'runbook.yaml'])
    assert.equal(second.code, 3, output(second))
    assert.match(second.stderr, /has a live run, \S+: running, at rollback point/)
    assert.equal(runIds(dir).length, 1)
  })

  test('rollback --to start without a run id undoes the live run; the runbook is then free, and the old run cannot take it back', () => {
    const { dir, runId } = pausedMidCutover()
    const back = switchyard(dir, ['rollback', '--to', 'start'])
    assert.equal(back.code, 0, output(back))
    assert.deepEqual(lines(join(dir, 'undone.log')), ['shift', 'prep'])
    const again = switchyard(dir, ['run', 'runbook.yaml', '--until', 'prepare'])
    assert.equal(again.code, 0, output(again))
    assert.equal(runIds(dir).length, 2)
    const secondId = runIds(dir).find((id) => id !== runId) as string
    const stale = switchyard(dir, ['resume', runId])
    assert.equal(stale.code, 3, output(stale))
    assert.match(stale.stderr, new RegExp(`resume refused: runbook cutover has a live run, ${secondId}`))
  })

  test('status, resume and rollback default to the live run, never to a newer one', () => {
    const { dir, runId } = pausedMidCutover()
    writeRunbook(dir, QUICK, 'other.yaml')
    assert.equal(switchyard(dir, ['run', 'other.yaml']).code, 0, 'a newer run of another runbook completes')
    // And a newer run whose journal is unreadable: it hides nothing.
    mkdirSync(join(dir, '.switchyard', 'runs', '20991231T000000Z-cutover-dead'))
    writeRunbook(dir, '{torn', '.switchyard/runs/20991231T000000Z-cutover-dead/journal.ndjson')
    assert.equal(runIds(dir).length, 3)

    assert.match(switchyard(dir, ['status']).stdout, new RegExp(`^run ${runId}: paused`))
    const preview = switchyard(dir, ['rollback', '--to', 'prepare', '--dry-run'])
    assert.match(preview.stdout, new RegExp(`rollback of ${runId} to prepare would`))
    rmSync(join(dir, 'fail.flag'))
    const resumed = switchyard(dir, ['resume'])
    assert.equal(resumed.code, 0, output(resumed))
    assert.equal(journalOf(dir, runId).at(-1)?.type, 'run-completed', 'resume finished the live run')
  })

  test('with two live runs, a command without a run id names both and asks which (exit 2)', () => {
    const { dir, runId } = pausedMidCutover()
    writeRunbook(dir, cutover('other'), 'other.yaml')
    assert.equal(switchyard(dir, ['run', 'other.yaml']).code, 1, 'another runbook pauses too')
    const other = runIds(dir).find((id) => id !== runId) as string
    const ambiguous = switchyard(dir, ['rollback', '--to', 'start'])
    assert.equal(ambiguous.code, 2, output(ambiguous))
    assert.match(ambiguous.stderr, /2 runs in \.switchyard are live; name the one to rollback/)
    assert.ok(ambiguous.stderr.includes(runId) && ambiguous.stderr.includes(other), ambiguous.stderr)
    assert.equal(existsSync(join(dir, 'undone.log')), false)
  })
})

describe('abandon', () => {
  test('abandon RUN --reason releases the runbook, journals who and why, and undoes nothing', () => {
    const { dir, runId } = pausedMidCutover()
    const liveness = () =>
      JSON.parse(switchyard(dir, ['runs', '--json']).stdout).map((r: { live: boolean }) => r.live)
    assert.deepEqual(liveness(), [true], 'runs marks the run that holds the runbook')
    const noReason = switchyard(dir, ['abandon', runId])
    assert.equal(noReason.code, 2, output(noReason))
    const abandoned = switchyard(dir, ['abandon', runId, '--reason', 'rehearsal; world reset by hand'], {
      SWITCHYARD_OPERATOR: 'ana',
    })
    assert.equal(abandoned.code, 0, output(abandoned))
    assert.match(abandoned.stdout, /left as they are \(switchyard will not undo them\): prep, shift/)
    const last = journalEvents(dir).at(-1)
    assert.equal(last?.type, 'run-abandoned')
    assert.equal(last?.reason, 'rehearsal; world reset by hand')
    assert.equal(last?.operator, 'ana')
    assert.equal(last?.osUser, userInfo().username)
    assert.equal(existsSync(join(dir, 'undone.log')), false, 'nothing was undone')
    assert.deepEqual(liveness(), [false])
    assert.match(
      switchyard(dir, ['status', runId]).stdout,
      /abandoned by ana at .*: rehearsal; world reset by hand/,
    )

    for (const args of [
      ['resume', runId],
      ['rollback', runId, '--to', 'start'],
    ]) {
      const refused = switchyard(dir, args)
      assert.equal(refused.code, 3, output(refused))
      assert.match(refused.stderr, new RegExp(`run ${runId} was abandoned by ana`))
    }
    const again = switchyard(dir, ['abandon', runId, '--reason', 'twice'])
    assert.equal(again.code, 3, output(again))
    const fresh = switchyard(dir, ['run', 'runbook.yaml', '--until', 'prepare'])
    assert.equal(fresh.code, 0, output(fresh))
    assert.deepEqual(lines(join(dir, 'undone.log')), [])
  })
  test('with no live run, commands without a run id take the latest run that was not abandoned', () => {
    const dir = workspace(cutover())
    assert.equal(switchyard(dir, ['run', 'runbook.yaml']).code, 0)
    const [completed] = runIds(dir)
    writeRunbook(dir, '', 'fail.flag')
    assert.equal(switchyard(dir, ['run', 'runbook.yaml']).code, 1)
    const abandoned = runIds(dir).find((id) => id !== completed) as string
    assert.equal(switchyard(dir, ['abandon', abandoned, '--reason', 'started by mistake']).code, 0)
    const preview = switchyard(dir, ['rollback', '--to', 'start', '--dry-run'])
    assert.equal(preview.code, 0, output(preview))
    assert.match(preview.stdout, new RegExp(`rollback of ${completed} to start would`))
  })
})

describe('--until on resume', () => {
  test('resume --until with a typo or a phase already done exits 2 before anything runs', () => {
    const dir = workspace(cutover())
    assert.equal(switchyard(dir, ['run', 'runbook.yaml', '--until', 'prepare']).code, 0)
    const before = journalEvents(dir).length
    const typo = switchyard(dir, ['resume', '--until', 'trafic'])
    assert.equal(typo.code, 2, output(typo))
    assert.match(typo.stderr, /--until trafic: no such phase/)
    const done = switchyard(dir, ['resume', '--until', 'prepare'])
    assert.equal(done.code, 2, output(done))
    assert.match(done.stderr, /--until prepare: phase prepare has already completed in this run/)
    assert.match(done.stderr, /phases still ahead: traffic/)
    assert.equal(journalEvents(dir).length, before, 'nothing was journaled')
    assert.deepEqual(lines(join(dir, 'applied.log')), ['prep'])
  })
})
