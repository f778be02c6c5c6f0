import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { after, test } from 'node:test'
import { readJournal } from '../src/engine/journal.ts'
import {
  type CliResult,
  journalEvents,
  lines,
  switchyardAsync,
  tempDir,
  writeRunbook,
} from './helpers/cli.ts'

const scratch = tempDir('kill-trials')
after(scratch.cleanup)

const STEPS = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']
/** Each command appends a line (counted from outside), then kills switchyard itself when KILL_AT names it. */
const sh = (file: string, mark: string) =>
  `[-c, 'echo x >> ${file}; [ "$KILL_AT" != ${mark} ] || kill -9 $PPID']`
const step = (id: string, needs = '') => `      - id: ${id}
        uses: exec
${needs ? `        needs: ${needs}\n` : ''}        with:
          command: sh
          args: ${sh(`count-${id}`, id)}
          rollback: { command: sh, args: ${sh(`undo-${id}`, `undo-${id}`)} }
`
const RUNBOOK = `version: 1
name: killed
concurrency: 1
phases:
  - id: one
    steps:
${step('a')}${step('b', 'a')}${step('c')}  - id: two
    steps:
${step('d')}${step('e', 'd')}  - id: three
    steps:
${step('f')}${step('g', 'f')}${step('h', 'g')}  - id: four
    steps:
${step('i')}${step('j', 'i')}`

let kills = 0
let trials = 0

function workspace(): string {
  const dir = join(scratch.dir, `t${++trials}`)
  mkdirSync(dir)
  writeRunbook(dir, RUNBOOK)
  return dir
}

const count = (dir: string, file: string) => lines(join(dir, file)).length

/** Readable whole after any kill: no conflict, no line set aside, one unbroken sequence. */
function assertJournalReadable(dir: string, when: string) {
  const runId = journalEvents(dir)[0]?.runId as string
  const { events, warnings, setAside } = readJournal(
    join(dir, '.switchyard', 'runs', runId, 'journal.ndjson'),
  )
  assert.deepEqual([...warnings, ...setAside.map(String)], [], when)
  assert.deepEqual(
    events.map((e) => e.seq),
    events.map((_, i) => i + 1),
    `${when}: one unbroken sequence`,
  )
}

function killed(result: CliResult, dir: string, when: string): boolean {
  if (result.signal !== 'SIGKILL') return false
  kills++
  assertJournalReadable(dir, `after the kill ${when}`)
  return true
}

/**
 * Drives a command to its end as an operator would: after a kill, break the stale lock and run it
 * again; when switchyard asks about a step cut off mid-way, look at the world (the step's file)
 * and decide. `killAt` kills it once more, after that many journal events of an attempt.
 */
async function operate(dir: string, command: string[], killAt?: number): Promise<CliResult> {
  let decision: string[] = []
  let pendingKill = killAt
  for (let attempt = 0; attempt < 8; attempt++) {
    const env: Record<string, string> = pendingKill
      ? { SWITCHYARD_CRASH_AFTER_EVENTS: String(pendingKill) }
      : {}
    const result = await switchyardAsync(dir, [...command, ...decision], env)
    decision = []
    if (killed(result, dir, `${command[0]} attempt ${attempt + 1}`)) {
      pendingKill = undefined
      const unlock = await switchyardAsync(dir, ['unlock', 'killed', '--force'])
      assert.equal(unlock.code, 0, unlock.stderr)
      continue
    }
    if (result.code === 0) return result
    const out = result.stdout + result.stderr
    const undo = /the undo of (\w+) was cut off/.exec(out)?.[1]
    const apply = /step (\w+) was interrupted mid-apply/.exec(out)?.[1]
    if (undo)
      decision =
        count(dir, `undo-${undo}`) > 0
          ? ['--approve', undo, '--reason', 'its undo command ran']
          : ['--retry-step', undo]
    else if (apply)
      decision =
        count(dir, `count-${apply}`) > 0
          ? ['--skip-step', apply, '--reason', 'it did act']
          : ['--retry-step', apply]
    else assert.fail(`${command.join(' ')} ended ${result.code}:\n${out}`)
  }
  assert.fail(`${command.join(' ')} did not finish`)
}

function assertEachOnce(dir: string, prefix: 'count' | 'undo', when: string) {
  for (const id of STEPS) assert.equal(count(dir, `${prefix}-${id}`), 1, `${when}: ${prefix} of ${id} once`)
  assertJournalReadable(dir, when)
}

/** Runs trials three at a time; each failure is collected so one report names every bad trial. */
async function trialsOf(points: number[], trial: (k: number) => Promise<void>): Promise<void> {
  const pending = [...points]
  const failures: string[] = []
  const worker = async () => {
    for (let k = pending.shift(); k !== undefined; k = pending.shift())
      await trial(k).catch((error: Error) => failures.push(`${k}: ${error.message}`))
  }
  await Promise.all([worker(), worker(), worker()])
  assert.deepEqual(failures, [], `${failures.length} of ${points.length} trials failed`)
}

const upTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1)

test('a run killed inside any step command resumes without running that step twice without a decision', async () => {
  await trialsOf(upTo(STEPS.length), async (k) => {
    const id = STEPS[k - 1] as string
    const dir = workspace()
    const first = await switchyardAsync(dir, ['run', 'runbook.yaml'], { KILL_AT: id })
    assert.ok(killed(first, dir, `inside ${id}`), `the run died inside ${id}`)
    await switchyardAsync(dir, ['unlock', 'killed', '--force'])
    const resumed = await operate(dir, ['resume'], 2 + (k % 4))
    assert.match(resumed.stdout, /completed/)
    assertEachOnce(dir, 'count', `killed inside ${id}`)
  })
})

test('a resume killed at each of its first 16 event boundaries, and killed again, completes with each step applied once', async () => {
  await trialsOf(upTo(16), async (k) => {
    const dir = workspace()
    const run = await switchyardAsync(dir, ['run', 'runbook.yaml'], { SWITCHYARD_CRASH_AFTER_EVENTS: '12' })
    assert.ok(killed(run, dir, 'in the run'))
    await switchyardAsync(dir, ['unlock', 'killed', '--force'])
    await operate(dir, ['resume'], k)
    assertEachOnce(dir, 'count', `resume killed after event ${k}`)
  })
})

test('a rollback killed at every event boundary, then killed again while recovering, undoes each step once', async () => {
  await trialsOf(upTo(21), async (k) => {
    const dir = workspace()
    assert.equal((await switchyardAsync(dir, ['run', 'runbook.yaml'])).code, 0)
    const first = await switchyardAsync(dir, ['rollback', '--to', 'start'], {
      SWITCHYARD_CRASH_AFTER_EVENTS: String(k),
    })
    assert.ok(killed(first, dir, `rollback after event ${k}`))
    await switchyardAsync(dir, ['unlock', 'killed', '--force'])
    // The recovery dies too, a few events in: a second crash during recovery.
    await operate(dir, ['rollback', '--to', 'start'], 1 + ((k * 5) % 7))
    assertEachOnce(dir, 'undo', `rollback killed after event ${k}`)
    assertEachOnce(dir, 'count', 'the run before it')
  })
})

test('a rollback killed inside any undo command does not undo that step again without a decision', async () => {
  await trialsOf(upTo(STEPS.length), async (k) => {
    const id = STEPS[k - 1] as string
    const dir = workspace()
    assert.equal((await switchyardAsync(dir, ['run', 'runbook.yaml'])).code, 0)
    const first = await switchyardAsync(dir, ['rollback', '--to', 'start'], { KILL_AT: `undo-${id}` })
    assert.ok(killed(first, dir, `inside the undo of ${id}`))
    await switchyardAsync(dir, ['unlock', 'killed', '--force'])
    const second = await operate(dir, ['rollback', '--to', 'start'], 2 + (k % 3))
    assert.match(second.stdout, /rolled back to start/)
    assertEachOnce(dir, 'undo', `killed inside the undo of ${id}`)
  })
})

test('the trials above killed switchyard at least 100 times', () => {
  assert.ok(kills >= 100, `${kills} kills`)
})
