import assert from 'node:assert/strict'
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { after, describe, test } from 'node:test'
import type { JournalEvent, NewEvent } from '../src/engine/events.ts'
import { JOURNAL_FILE, Journal, readJournal } from '../src/engine/journal.ts'
import { acquireLock } from '../src/engine/lock.ts'
import { foldJournal } from '../src/engine/state.ts'
import { tempDir } from './helpers/cli.ts'

const scratch = tempDir('journal')
after(scratch.cleanup)
let n = 0
const runDir = () => join(scratch.dir, `run${++n}`)

/** A real lease on a runbook of its own in the scratch state dir. */
const lease = (runbook = `rb${n}`) =>
  acquireLock(scratch.dir, {
    operator: 'ana',
    host: 'h1',
    pid: process.pid,
    runId: 'r1',
    runbook,
    since: new Date().toISOString(),
  })

const started: NewEvent = {
  type: 'run-started',
  runId: 'r1',
  runbook: { name: 'rb', file: 'rb.yaml', path: '/x/rb.yaml', hash: 'h' },
  params: { zone: 'Z1' },
  dryRun: false,
  operator: 'ana',
  host: 'h1',
  pid: 1,
}

function events(list: NewEvent[]): JournalEvent[] {
  return list.map(
    (e, i) =>
      ({ seq: i + 1, at: new Date(Date.UTC(2026, 10, 26, 2, 0, i)).toISOString(), ...e }) as JournalEvent,
  )
}

describe('the fold', () => {
  test('a run folds to its phases, steps, outputs, approvals and rollback point', () => {
    const state = foldJournal(
      events([
        started,
        { type: 'approval-granted', phase: 'one', operator: 'ana', reason: 'go', via: 'flag' },
        { type: 'phase-started', phase: 'one' },
        { type: 'step-started', step: 'a', attempt: 1 },
        { type: 'step-planned', step: 'a', changes: [{ action: 'run', target: 'x', summary: 'run x' }] },
        { type: 'undo-recorded', step: 'a', undo: { before: 1 } },
        { type: 'step-failed', step: 'a', attempt: 1, error: { message: 'flaky' }, willRetry: true },
        { type: 'step-started', step: 'a', attempt: 2 },
        { type: 'step-applied', step: 'a', outputs: { id: 'vol-1' } },
        { type: 'step-skipped', step: 'b', reason: 'condition' },
        { type: 'phase-completed', phase: 'one' },
        { type: 'phase-started', phase: 'two' },
        { type: 'step-started', step: 'c', attempt: 1 },
        { type: 'step-failed', step: 'c', attempt: 1, error: { message: 'boom' }, willRetry: false },
        { type: 'step-skipped', step: 'd', reason: 'upstream', upstream: 'c' },
        { type: 'run-paused', reason: 'step two.c failed' },
      ]),
    )
    assert.equal(state.status, 'paused')
    assert.deepEqual(state.completedPhases, ['one'])
    assert.equal(state.steps.a?.status, 'applied')
    assert.equal(state.steps.a?.attempts, 2)
    assert.deepEqual(state.steps.a?.outputs, { id: 'vol-1' })
    assert.deepEqual(state.steps.a?.undo, [{ before: 1 }])
    assert.equal(state.steps.a?.appliedSeq, 9)
    assert.equal(state.steps.b?.skipReason, 'condition was false')
    assert.equal(state.steps.c?.status, 'failed')
    assert.equal(state.steps.d?.skipReason, 'upstream c failed')
    assert.equal(state.approvals[0]?.operator, 'ana')
    assert.equal(state.pauseReason, 'step two.c failed')
  })

  test('a step started without an outcome folds as running: resume must re-plan it', () => {
    const state = foldJournal(events([started, { type: 'step-started', step: 'a', attempt: 1 }]))
    assert.equal(state.steps.a?.status, 'running')
    assert.equal(state.status, 'running')
  })

  test('a completed rollback returns the completed phases to the rollback point', () => {
    const state = foldJournal(
      events([
        started,
        { type: 'phase-completed', phase: 'one' },
        { type: 'step-applied', step: 'b', outputs: {} },
        { type: 'phase-completed', phase: 'two' },
        { type: 'rollback-started', to: 'one', force: false, operator: 'ana', host: 'h', pid: 2 },
        { type: 'compensation-started', step: 'b' },
        { type: 'step-compensated', step: 'b' },
        { type: 'rollback-completed', to: 'one' },
      ]),
    )
    assert.equal(state.status, 'rolled-back')
    assert.deepEqual(state.completedPhases, ['one'])
    assert.equal(state.phases.two?.status, 'pending')
    assert.equal(state.steps.b?.status, 'compensated')
  })

  test('a step undone and applied again keeps only the undo data of its new application', () => {
    const state = foldJournal(
      events([
        started,
        { type: 'step-started', step: 'b', attempt: 1 },
        { type: 'undo-recorded', step: 'b', undo: { cycle: 1 } },
        { type: 'step-applied', step: 'b', outputs: {} },
        { type: 'rollback-started', to: 'start', force: false, operator: 'ana', host: 'h', pid: 2 },
        { type: 'step-compensated', step: 'b' },
        { type: 'rollback-completed', to: 'start' },
        { type: 'run-resumed', operator: 'ana', host: 'h', pid: 3 },
        { type: 'step-started', step: 'b', attempt: 2 },
        { type: 'undo-recorded', step: 'b', undo: { cycle: 2 } },
        { type: 'step-applied', step: 'b', outputs: {} },
      ]),
    )
    assert.deepEqual(state.steps.b?.undo, [{ cycle: 2 }])
  })

  test('a failed rollback leaves the run failed with the rollback unfinished, for resume to finish', () => {
    const state = foldJournal(
      events([
        started,
        { type: 'step-applied', step: 'b', outputs: {} },
        { type: 'rollback-started', to: 'start', force: true, operator: 'ana', host: 'h', pid: 2 },
        { type: 'compensation-started', step: 'b' },
        { type: 'compensation-failed', step: 'b', error: { message: 'denied' } },
      ]),
    )
    assert.equal(state.status, 'failed')
    assert.deepEqual(state.rollback && { ...state.rollback, startedAt: '' }, {
      to: 'start',
      force: true,
      status: 'running',
      startedAt: '',
    })
    assert.equal(state.steps.b?.status, 'applied')
  })

  test('checkpoints a step made survive in its state, in order, for the next attempt', () => {
    const state = foldJournal(
      events([
        started,
        { type: 'step-started', step: 'shift', attempt: 1 },
        { type: 'step-checkpoint', step: 'shift', data: { stage: 1 } },
        { type: 'step-checkpoint', step: 'shift', data: { stage: 2 } },
        { type: 'step-started', step: 'shift', attempt: 2 },
      ]),
    )
    assert.deepEqual(state.steps.shift?.checkpoints, [{ stage: 1 }, { stage: 2 }])
  })

  test('a journal must start with run-started', () => {
    assert.throws(() => foldJournal(events([{ type: 'run-completed' }])), /starts with run-started/)
  })
})

describe('the journal file', () => {
  test('events are durable in order, one JSON object per line, with unbroken seq', async () => {
    const dir = runDir()
    const journal = Journal.create(dir, lease())
    await journal.append(started).durable
    const concurrent = ['a', 'b', 'c'].map((step) =>
      journal.append({ type: 'step-started', step, attempt: 1 }),
    )
    await Promise.all(concurrent.map((c) => c.durable))
    await journal.close()
    const { events: read, warnings } = readJournal(join(dir, JOURNAL_FILE))
    assert.deepEqual(warnings, [])
    assert.deepEqual(
      read.map((e) => e.seq),
      [1, 2, 3, 4],
    )
    assert.equal(readFileSync(join(dir, JOURNAL_FILE), 'utf8').split('\n').length, 5)
  })

  test('a torn last line (power lost mid-write) is ignored with a warning, and acknowledged on reopen', async () => {
    const dir = runDir()
    const journal = Journal.create(dir, lease())
    await journal.append(started).durable
    await journal.append({ type: 'phase-started', phase: 'one' }).durable
    await journal.close()
    appendFileSync(join(dir, JOURNAL_FILE), '{"seq":3,"at":"2026-11-26T02:00:00.000Z","type":"step-sta')
    const first = readJournal(join(dir, JOURNAL_FILE))
    assert.equal(first.events.length, 2)
    assert.match(first.warnings[0] ?? '', /last line \(3\) is incomplete/)

    const reopened = Journal.open(dir, lease(`reopen${n}`))
    assert.equal(reopened.events.at(-1)?.type, 'journal-torn-line')
    await reopened.journal.append({ type: 'step-started', step: 'a', attempt: 1 }).durable
    await reopened.journal.close()
    const second = readJournal(join(dir, JOURNAL_FILE))
    assert.deepEqual(second.warnings, [], 'the torn line stays in the file, acknowledged, never rewritten')
    assert.deepEqual(
      second.events.map((e) => e.type),
      ['run-started', 'phase-started', 'journal-torn-line', 'step-started'],
    )
    assert.match(readFileSync(join(dir, JOURNAL_FILE), 'utf8'), /"type":"step-sta\n/)
    assert.ok(foldJournal(second.events).warnings.some((w) => /line 3 was torn/.test(w)))
  })

  test('corruption before the last line stops with an error naming the line', async () => {
    const dir = runDir()
    const journal = Journal.create(dir, lease())
    await journal.append(started).durable
    await journal.append({ type: 'phase-started', phase: 'one' }).durable
    await journal.append({ type: 'phase-completed', phase: 'one' }).durable
    await journal.close()
    const path = join(dir, JOURNAL_FILE)
    const lines = readFileSync(path, 'utf8').split('\n')
    lines[1] = lines[1]?.replace('phase-started', 'phase-st\u0000rted').slice(0, 20) ?? ''
    writeFileSync(path, lines.join('\n'))
    assert.throws(() => readJournal(path), /corrupt at line 2/)
  })

  test('a line whose seq does not follow is corruption too (a spliced or duplicated line)', async () => {
    const dir = runDir()
    const journal = Journal.create(dir, lease())
    await journal.append(started).durable
    await journal.append({ type: 'phase-started', phase: 'one' }).durable
    await journal.close()
    const path = join(dir, JOURNAL_FILE)
    const [first, second] = readFileSync(path, 'utf8').split('\n')
    writeFileSync(path, `${first}\n${second}\n${second}\n${second}\n`)
    assert.throws(() => readJournal(path), /corrupt at line 3/)
  })
})

describe('a journal two writers touched', () => {
  const line = (seq: number, epoch: number, event: Record<string, unknown>) =>
    `${JSON.stringify({ seq, at: '2026-11-26T02:00:00.000Z', epoch, ...event })}\n`
  const head = [
    line(1, 1, { ...started, pid: 41 }),
    line(2, 1, { type: 'rollback-started', to: 'start', force: false, operator: 'ana', host: 'h1', pid: 41 }),
    line(3, 1, { type: 'compensation-started', step: 'b' }),
  ].join('')
  const broken = (seq: number) =>
    line(seq, 2, { type: 'lock-broken', by: 'bo@h2', holder: { pid: 41, host: 'h1', epoch: 1 } })
  const stray = (seq: number) => line(seq, 1, { type: 'step-compensated', step: 'b' })

  test('lines the fenced writer wrote after the break are set aside and named; the run reads on', () => {
    const path = join(runDir(), JOURNAL_FILE)
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(
      path,
      head + broken(4) + stray(4) + line(5, 3, { type: 'run-resumed', operator: 'bo', host: 'h2', pid: 7 }),
    )
    const read = readJournal(path)
    assert.deepEqual(
      read.events.map((e) => `${e.seq}:${e.type}`),
      ['1:run-started', '2:rollback-started', '3:compensation-started', '4:lock-broken', '5:run-resumed'],
    )
    assert.deepEqual(
      read.setAside.map((s) => [s.epoch, s.writer, s.lines]),
      [[1, 'pid 41 on h1', [5]]],
    )
    assert.match(
      read.warnings[0] ?? '',
      /line\(s\) 5 were written by pid 41 on h1 \(epoch 1\) after its lock had been broken/,
    )
    assert.match(read.warnings[0] ?? '', /step-compensated b/)
    assert.equal(foldJournal(read.events).steps.b?.status, 'compensating', 'the undo stays undecided')
  })

  test('when the fenced writer got its line in first, the newer epoch still wins from where it went on', () => {
    const path = join(runDir(), JOURNAL_FILE)
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, head + stray(4) + broken(4))
    const read = readJournal(path)
    assert.deepEqual(read.events.at(-1)?.type, 'lock-broken')
    assert.deepEqual(
      read.setAside.map((s) => s.lines),
      [[4]],
    )
  })

  test('the same writer going back in seq is damage from outside, and says so', () => {
    const path = join(runDir(), JOURNAL_FILE)
    mkdirSync(dirname(path), { recursive: true })
    writeFileSync(path, head + line(2, 1, { type: 'phase-started', phase: 'one' }))
    assert.throws(() => readJournal(path), /corrupt at line 4: its seq 2 does not follow 3/)
  })
})

describe('the lease', () => {
  test('a journal whose lease is superseded refuses the batch and every later event', async () => {
    const dir = runDir()
    const first = lease('superseded')
    const journal = Journal.create(dir, first)
    await journal.append(started).durable
    first.release()
    const second = lease('superseded')
    assert.ok(second.epoch > first.epoch, 'epochs only grow')
    await assert.rejects(journal.append({ type: 'phase-started', phase: 'one' }).durable, /was broken/)
    await assert.rejects(journal.append({ type: 'phase-started', phase: 'two' }).durable, /was broken/)
    await journal.close()
    second.release()
    assert.deepEqual(
      readJournal(join(dir, JOURNAL_FILE)).events.map((e) => e.type),
      ['run-started'],
    )
  })
})
