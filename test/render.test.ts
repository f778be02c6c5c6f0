// The three renderers of a run, driven by scripted engine events for a small runbook and read
// back from a captured stream: NDJSON parsed line by line, CI lines as text, and listr2 through its
// own `test` renderer, which logs every task state, title, output and message as JSON.
import assert from 'node:assert/strict'
import { PassThrough } from 'node:stream'
import { describe, test } from 'node:test'
import { setImmediate as tick } from 'node:timers/promises'
import { stripVTControlCharacters } from 'node:util'
import type { JournalEvent, NewEvent } from '../src/engine/events.ts'
import type { EngineEvent, Observer, RunOutcome } from '../src/engine/observer.ts'
import { foldJournal } from '../src/engine/state.ts'
import { chooseRenderer } from '../src/render/index.ts'
import { createJsonRenderer } from '../src/render/json.ts'
import { createLinesRenderer } from '../src/render/lines.ts'
import { createListrRenderer } from '../src/render/listr.ts'
import type { Phase, Runbook, Step } from '../src/runbook/model.ts'

// ---------- a runbook, a journal, a captured stream ----------

function step(phase: string, id: string, extra: Partial<Step> = {}): Step {
  return {
    id,
    phase,
    name: undefined,
    uses: 'exec',
    with: {},
    needs: [],
    if: undefined,
    timeoutMs: 60_000,
    retry: { attempts: 1, backoffMs: 1000, maxBackoffMs: 5000 },
    continueOnError: false,
    ...extra,
  }
}

function phase(id: string, steps: Step[], extra: Partial<Phase> = {}): Phase {
  return {
    id,
    name: undefined,
    description: undefined,
    approval: false,
    pointOfNoReturn: false,
    onFailure: 'pause',
    concurrency: 4,
    steps,
    ...extra,
  }
}

/** prepare: a snapshot that retries and reports progress, a notice that fails and is allowed to.
 *  cutover (approval, point of no return): seed fails; shift needs seed; cleanup's condition is false. */
const runbook: Runbook = {
  file: 'runbooks/cutover.yaml',
  hash: 'sha256:0',
  name: 'cutover',
  description: undefined,
  params: {},
  secrets: {},
  targets: {},
  onFailure: 'pause',
  paramValues: {},
  phases: [
    phase('prepare', [
      step('prepare', 'snapshot', {
        name: 'Take a snapshot',
        uses: 'wait',
        retry: { attempts: 3, backoffMs: 10, maxBackoffMs: 10 },
      }),
      step('prepare', 'announce', { continueOnError: true }),
    ]),
    phase(
      'cutover',
      [
        step('cutover', 'seed'),
        step('cutover', 'shift', { needs: ['seed'] }),
        step('cutover', 'cleanup', { if: '${{ false }}' }),
      ],
      { approval: true, pointOfNoReturn: true },
    ),
  ],
}

const RUN_ID = 'cutover-20261126-0412'
const SEED_ERROR = 'seed script exited 3'
const BASE = Date.parse('2026-11-26T04:12:00.000Z')

/** Journal events as the journal makes them: numbered, and one second apart. */
function journal(events: NewEvent[], from = 1): JournalEvent[] {
  return events.map(
    (event, i) =>
      ({ ...event, seq: from + i, at: new Date(BASE + (from + i) * 1000).toISOString() }) as JournalEvent,
  )
}

const who = { operator: 'alice', host: 'ops-1', pid: 4242 }
const runStarted = (dryRun = false): NewEvent => ({
  type: 'run-started',
  runId: RUN_ID,
  runbook: { name: 'cutover', file: runbook.file, path: `/srv/${runbook.file}`, hash: runbook.hash },
  params: {},
  dryRun,
  ...who,
})

const progress = (percent: number, message: string): EngineEvent => ({
  type: 'step-progress',
  step: 'snapshot',
  percent,
  message,
})

/** The whole run: journal events interleaved with progress, as the engine would call event(). */
function scriptedRun(): EngineEvent[] {
  const [started, ...rest] = journal([
    runStarted(),
    { type: 'phase-started', phase: 'prepare' },
    { type: 'step-started', step: 'snapshot', attempt: 1 },
    { type: 'step-started', step: 'announce', attempt: 1 },
    {
      type: 'step-failed',
      step: 'snapshot',
      attempt: 1,
      error: { message: 'volume busy' },
      willRetry: true,
    },
    {
      type: 'step-failed',
      step: 'announce',
      attempt: 1,
      error: { message: 'slack is down' },
      willRetry: false,
    },
    { type: 'step-continued', step: 'announce' },
    { type: 'step-started', step: 'snapshot', attempt: 2 },
    { type: 'step-applied', step: 'snapshot', outputs: { id: 'snap-1' } },
    { type: 'phase-completed', phase: 'prepare' },
    { type: 'approval-granted', phase: 'cutover', operator: 'alice', reason: 'go ahead', via: 'prompt' },
    { type: 'phase-started', phase: 'cutover' },
    { type: 'step-started', step: 'seed', attempt: 1 },
    { type: 'step-skipped', step: 'cleanup', reason: 'condition' },
    { type: 'step-failed', step: 'seed', attempt: 1, error: { message: SEED_ERROR }, willRetry: false },
    { type: 'step-skipped', step: 'shift', reason: 'upstream', upstream: 'seed' },
    { type: 'run-paused', reason: `step cutover.seed failed: ${SEED_ERROR}` },
  ]) as [JournalEvent, ...JournalEvent[]]
  const afterRetry = rest.findIndex((e) => e.type === 'step-started' && e.attempt === 2) + 1
  return [
    started,
    ...rest.slice(0, afterRetry),
    progress(10, 'copying blocks'),
    progress(20, 'copying blocks'),
    progress(40, 'copying blocks'),
    ...rest.slice(afterRetry),
  ]
}

const pausedOutcome: RunOutcome = {
  runId: RUN_ID,
  status: 'paused',
  exitCode: 1,
  message: `step cutover.seed failed: ${SEED_ERROR}; the run is paused`,
  next: [`switchyard resume ${RUN_ID}`, `switchyard rollback ${RUN_ID} --to prepare`],
}

function capture(isTTY = false, columns = isTTY ? 100 : undefined) {
  const stream = Object.assign(new PassThrough(), { isTTY, columns })
  let text = ''
  stream.on('data', (chunk: Buffer) => {
    text += chunk.toString('utf8')
  })
  return { stream, text: () => text }
}

/** Drives an observer as the engine does: start after run-started is durable, then each event. */
async function drive(
  observer: Observer,
  events: EngineEvent[],
  outcome: RunOutcome,
  between: () => Promise<unknown> = () => tick(),
) {
  const [first] = events
  assert.ok(first && 'seq' in first && first.type === 'run-started')
  observer.start(runbook, foldJournal([first]))
  for (const event of events) {
    observer.event(event)
    await between()
  }
  await observer.finish(outcome)
}

// ---------- --json ----------

describe('json renderer', () => {
  test('writes exactly one JSON object per line, every event in order, then the outcome', async () => {
    const out = capture()
    const events = scriptedRun()
    await drive(createJsonRenderer({ stream: out.stream, now: () => new Date(BASE) }), events, pausedOutcome)
    assert.ok(out.text().endsWith('\n'))
    const lines = out.text().slice(0, -1).split('\n')
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, unknown>)
    assert.equal(parsed.length, events.length + 1)
    parsed.slice(0, -1).forEach((object, i) => {
      const { at, ...rest } = object
      const event = events[i] as EngineEvent
      if ('seq' in event) assert.deepEqual(object, event)
      else {
        // Transient events are stamped, since the journal never dated them.
        assert.equal(at, new Date(BASE).toISOString())
        assert.deepEqual(rest, event)
      }
    })
    assert.deepEqual(parsed.at(-1), { type: 'outcome', ...pausedOutcome })
  })

  test('a value JSON cannot hold does not break the line or the run', async () => {
    const out = capture()
    const renderer = createJsonRenderer({ stream: out.stream })
    const cyclic: Record<string, unknown> = { big: 10n, text: 'two\nlines' }
    cyclic.self = cyclic
    const [applied] = journal([{ type: 'step-applied', step: 'seed', outputs: cyclic }])
    renderer.event(applied as JournalEvent)
    await renderer.finish(pausedOutcome)
    const lines = out.text().trimEnd().split('\n')
    assert.equal(lines.length, 2)
    const first = JSON.parse(lines[0] as string) as { outputs: Record<string, unknown> }
    assert.deepEqual(first.outputs, { big: '10', text: 'two\nlines', self: '[circular]' })
  })
})

// ---------- lines, for CI ----------

describe('lines renderer', () => {
  async function runLines(options: { isTTY?: boolean; env?: NodeJS.ProcessEnv } = {}) {
    const out = capture(options.isTTY)
    const renderer = createLinesRenderer({
      stream: out.stream,
      env: options.env ?? {},
      now: () => new Date(BASE),
    })
    await drive(renderer, scriptedRun(), pausedOutcome, async () => {})
    return out.text()
  }

  test('shows the root cause once: the dependent says which upstream failed, not its error', async () => {
    const text = await runLines()
    const lines = text.split('\n')
    const failed = lines.filter((line) => line.includes(SEED_ERROR))
    // Once where it happened, once in the closing outcome; never on the skipped step or the pause.
    assert.equal(failed.length, 2, text)
    assert.match(failed[0] as string, /^\d\d:\d\d:\d\d cutover\.seed failed: seed script exited 3$/)
    assert.match(text, /\d\d:\d\d:\d\d cutover\.shift skipped: upstream seed failed\n/)
    assert.match(text, /cutover\.cleanup skipped: condition was false\n/)
    assert.match(text, /run paused: step cutover\.seed failed \(error above\)\n/)
  })

  test('one timestamped line per event, retries and continued failures named', async () => {
    const text = await runLines()
    assert.match(
      text,
      /^\d\d:\d\d:\d\d cutover \(runbooks\/cutover\.yaml\): run cutover-20261126-0412, 2 phases, 5 steps\n/,
    )
    assert.match(text, /\d\d:\d\d:\d\d prepare\.snapshot started \(attempt 1 of 3\)\n/)
    assert.match(text, /prepare\.snapshot failed: volume busy \(retrying\)\n/)
    assert.match(text, /prepare\.snapshot applied \(\d+\.\ds\)\n/)
    assert.match(text, /prepare\.announce failed, continued/)
    assert.match(text, /phase cutover approved by alice \(prompt\): go ahead\n/)
    assert.match(text, /phase cutover started \(point of no return\)\n/)
    for (const line of text.trimEnd().split('\n'))
      assert.match(line, /^(\d\d:\d\d:\d\d \S| {9})/, `not a stamped or continued line: ${line}`)
  })

  test('prints the outcome and then the next commands, one per line', async () => {
    const text = await runLines()
    assert.ok(
      text.endsWith(
        `step cutover.seed failed: ${SEED_ERROR}; the run is paused\n` +
          '         next:\n' +
          `           switchyard resume ${RUN_ID}\n` +
          `           switchyard rollback ${RUN_ID} --to prepare\n`,
      ),
      text,
    )
  })

  test('throttles progress to one line per step per 5 s, and only when the message changed', async () => {
    const out = capture()
    let clock = BASE
    const renderer = createLinesRenderer({ stream: out.stream, env: {}, now: () => new Date(clock) })
    const [started] = journal([runStarted()])
    renderer.start(runbook, foldJournal([started as JournalEvent]))
    const at = (seconds: number, event: EngineEvent) => {
      clock = BASE + seconds * 1000
      renderer.event(event)
    }
    at(0, progress(10, 'copying blocks'))
    at(1, progress(20, 'copying blocks')) // within 5 s of the last line: dropped
    at(6, progress(20, 'copying blocks')) // 6 s on, and new text: shown
    at(12, progress(20, 'copying blocks')) // unchanged: dropped
    at(13, progress(60, 'copying blocks')) // changed, 7 s after the last line: shown
    at(14, progress(70, 'copying blocks')) // 1 s after the last line: dropped
    at(14, { type: 'step-progress', step: 'seed', percent: 5 }) // another step has its own window
    await renderer.finish(pausedOutcome)
    const shown = out
      .text()
      .split('\n')
      .filter((line) => /%/.test(line))
    assert.deepEqual(
      shown.map((line) => line.slice(9)),
      [
        'prepare.snapshot 10% copying blocks',
        'prepare.snapshot 20% copying blocks',
        'prepare.snapshot 60% copying blocks',
        'cutover.seed 5%',
      ],
    )
  })

  test('a milestone is never throttled away: each gets its own line, however close together', async () => {
    const out = capture()
    let clock = BASE
    const renderer = createLinesRenderer({ stream: out.stream, env: {}, now: () => new Date(clock) })
    const [started] = journal([runStarted()])
    renderer.start(runbook, foldJournal([started as JournalEvent]))
    const say = (seconds: number, message: string, milestone = false) => {
      clock = BASE + seconds * 1000
      renderer.event({
        type: 'step-progress',
        step: 'snapshot',
        message,
        ...(milestone ? { milestone } : {}),
      })
    }
    say(0, 'stage 1/3: onprem 100 -> 90, aws 0 -> 10', true)
    say(0.5, 'stage 1/3 onprem 90, aws 10: baking, 1.5s of 2s left')
    say(2, 'stage 1/3 baked: gate verdicts: alarm giftcard-5xx is OK', true)
    say(2, 'stage 2/3: onprem 90 -> 50, aws 10 -> 50', true)
    say(3, 'stage 2/3 onprem 50, aws 50: baking, 1s of 2s left')
    await renderer.finish(pausedOutcome)
    const shown = out
      .text()
      .split('\n')
      .filter((line) => line.includes('stage'))
      .map((line) => line.slice(9))
    assert.deepEqual(shown, [
      'prepare.snapshot stage 1/3: onprem 100 -> 90, aws 0 -> 10',
      'prepare.snapshot stage 1/3 baked: gate verdicts: alarm giftcard-5xx is OK',
      'prepare.snapshot stage 2/3: onprem 90 -> 50, aws 10 -> 50',
    ])
  })

  test('no ANSI colour when NO_COLOR is set or the stream is not a terminal', async () => {
    const ESC = '\u001b['
    assert.ok(!(await runLines({ isTTY: false })).includes(ESC), 'colour on a pipe')
    assert.ok(
      !(await runLines({ isTTY: true, env: { NO_COLOR: '1' } })).includes(ESC),
      'colour with NO_COLOR',
    )
    assert.ok(
      (await runLines({ isTTY: true })).includes(ESC),
      'no colour on a terminal: the check above is vacuous',
    )
  })
})

// ---------- listr2, through its test renderer ----------

interface TaskLog {
  event: 'STATE' | 'OUTPUT' | 'TITLE' | 'MESSAGE' | 'PROMPT'
  data: unknown
  task: { title?: string; path: Array<string | null> }
}

/** listr2's test renderer writes one JSON object per task event; the outcome follows as text. */
function taskLog(text: string): { log: TaskLog[]; rest: string } {
  const log: TaskLog[] = []
  const rest: string[] = []
  for (const line of text.split('\n')) {
    if (line.startsWith('{"event"')) log.push(JSON.parse(line) as TaskLog)
    else rest.push(line)
  }
  return { log, rest: rest.join('\n') }
}

/** A task's entries, by the start of its first title (the id or name; a path holds the first title). */
const of = (log: TaskLog[], name: string) =>
  log.filter((e) => {
    const first = e.task.path.at(-1)
    return first === name || first?.startsWith(`${name} `)
  })
const finalState = (log: TaskLog[], name: string) =>
  of(log, name)
    .filter((e) => e.event === 'STATE')
    .at(-1)?.data
const messages = (log: TaskLog[], name: string) =>
  of(log, name)
    .filter((e) => e.event === 'MESSAGE')
    .map((e) => e.data as Record<string, unknown>)

/** A dry run's events through listr2's test renderer: the task log, and the snapshot step's outputs. */
async function rehearse(events: JournalEvent[]) {
  const out = capture()
  const renderer = createListrRenderer({ stream: out.stream, env: {}, renderer: 'test' })
  renderer.start(runbook, foldJournal(events.slice(0, 1)))
  for (const event of events) {
    renderer.event(event)
    await tick()
  }
  await renderer.finish({ ...pausedOutcome, status: 'rehearsed', message: 'dry run complete', next: [] })
  const { log } = taskLog(out.text())
  return { log, outputs: of(log, 'Take a snapshot').filter((e) => e.event === 'OUTPUT') }
}

describe('listr renderer', () => {
  test('steps end as their events say; the failure is shown once, its dependent only skipped', async () => {
    const out = capture()
    await drive(
      createListrRenderer({ stream: out.stream, env: {}, renderer: 'test' }),
      scriptedRun(),
      pausedOutcome,
    )
    const { log } = taskLog(out.text())
    assert.equal(finalState(log, 'Take a snapshot'), 'COMPLETED')
    assert.equal(finalState(log, 'announce'), 'COMPLETED')
    assert.equal(finalState(log, 'seed'), 'FAILED')
    assert.equal(finalState(log, 'shift'), 'SKIPPED')
    assert.equal(finalState(log, 'cleanup'), 'SKIPPED')
    assert.deepEqual(messages(log, 'seed'), [{ error: SEED_ERROR }])
    assert.deepEqual(messages(log, 'shift'), [{ skip: 'skipped: upstream seed failed' }])
    assert.deepEqual(messages(log, 'cleanup'), [{ skip: 'skipped: condition was false' }])
    const errors = log.filter((e) => JSON.stringify(e.data).includes(SEED_ERROR))
    assert.equal(errors.length, 1, 'the seed error appears more than once in the task events')
  })

  test('a step waits until the engine starts it, retries in RETRY, and shows its progress', async () => {
    const out = capture()
    await drive(
      createListrRenderer({ stream: out.stream, env: {}, renderer: 'test' }),
      scriptedRun(),
      pausedOutcome,
    )
    const { log } = taskLog(out.text())
    const states = of(log, 'Take a snapshot')
      .filter((e) => e.event === 'STATE')
      .map((e) => e.data)
    assert.deepEqual(states, ['STARTED', 'WAITING', 'STARTED', 'RETRY', 'STARTED', 'COMPLETED'])
    const outputs = of(log, 'Take a snapshot')
      .filter((e) => e.event === 'OUTPUT')
      .map((e) => e.data)
    // Output goes to the bottom bar, shared by all running steps, so each line names its step.
    assert.deepEqual(outputs, [
      'Take a snapshot: attempt 1 failed: volume busy; retrying',
      '',
      'Take a snapshot: 10% copying blocks',
      'Take a snapshot: 20% copying blocks',
      'Take a snapshot: 40% copying blocks',
      '',
    ])
    const titles = of(log, 'Take a snapshot')
      .filter((e) => e.event === 'TITLE')
      .map((e) => e.data)
    assert.ok(titles.includes('Take a snapshot wait attempt 2/3'), JSON.stringify(titles))
    assert.match(String(titles.at(-1)), /^Take a snapshot wait attempt 2\/3 \d+\.\ds$/)
    const announce = of(log, 'announce').filter((e) => e.event === 'TITLE')
    assert.equal(announce.at(-1)?.data, 'announce exec failed, continued: slack is down')
  })

  test('the approval phase is marked until granted, and the point of no return always', async () => {
    const out = capture()
    await drive(
      createListrRenderer({ stream: out.stream, env: {}, renderer: 'test' }),
      scriptedRun(),
      pausedOutcome,
    )
    const { log } = taskLog(out.text())
    const phase = log.filter((e) => e.task.path.length === 1 && e.task.path[0]?.startsWith('cutover'))
    assert.equal(phase[0]?.task.path[0], 'cutover (point of no return) (approval required)')
    const titles = phase.filter((e) => e.event === 'TITLE').map((e) => e.data)
    // Its seed failed: the phase the run stopped in says so instead of folding to ✔.
    assert.deepEqual(titles, [
      'cutover (point of no return) (approved by alice)',
      'cutover (point of no return) (approved by alice) (failed: 1 of 3 steps finished)',
    ])
  })

  test('finish waits for listr2 to end, then prints the outcome and the next commands', async () => {
    const out = capture()
    await drive(
      createListrRenderer({ stream: out.stream, env: {}, renderer: 'test' }),
      scriptedRun(),
      pausedOutcome,
    )
    const text = out.text()
    const lastTaskEvent = text.lastIndexOf('{"event"')
    const outcomeAt = text.indexOf(pausedOutcome.message)
    assert.ok(lastTaskEvent >= 0 && outcomeAt > lastTaskEvent, text)
    assert.ok(
      text.endsWith(
        `${pausedOutcome.message}\nnext:\n  switchyard resume ${RUN_ID}\n  switchyard rollback ${RUN_ID} --to prepare\n`,
      ),
    )
  })

  test('a resumed run shows earlier steps as done at once, and phases it never reaches as not run', async () => {
    const earlier = journal([
      runStarted(),
      { type: 'phase-started', phase: 'prepare' },
      { type: 'step-started', step: 'snapshot', attempt: 1 },
      { type: 'step-applied', step: 'snapshot', outputs: {} },
      { type: 'step-started', step: 'announce', attempt: 1 },
      { type: 'run-paused', reason: 'interrupted by the operator (Ctrl-C)' },
    ])
    const out = capture()
    const renderer = createListrRenderer({ stream: out.stream, env: {}, renderer: 'test' })
    renderer.start(runbook, foldJournal(earlier))
    for (const event of journal(
      [
        { type: 'run-resumed', ...who },
        { type: 'step-started', step: 'announce', attempt: 2 },
        { type: 'step-applied', step: 'announce', outputs: {} },
        { type: 'phase-completed', phase: 'prepare' },
        { type: 'run-paused', reason: 'cutover needs an approval' },
      ],
      earlier.length + 1,
    )) {
      renderer.event(event)
      await tick()
    }
    await renderer.finish({ ...pausedOutcome, message: 'paused', next: [] })
    const { log } = taskLog(out.text())
    assert.equal(finalState(log, 'Take a snapshot'), 'COMPLETED')
    assert.match(String(of(log, 'Take a snapshot').at(-1)?.task.title), /^Take a snapshot wait done earlier$/)
    assert.ok(!of(log, 'Take a snapshot').some((e) => e.data === 'WAITING'), 'a finished step waited again')
    assert.equal(finalState(log, 'announce'), 'COMPLETED')
    const cutover = log.filter((e) => e.task.path.length === 1 && e.task.path[0]?.startsWith('cutover'))
    assert.equal(cutover.filter((e) => e.event === 'STATE').at(-1)?.data, 'SKIPPED')
    assert.deepEqual(
      cutover.filter((e) => e.event === 'MESSAGE').map((e) => e.data),
      [{ skip: 'not run' }],
    )
  })

  test('a dry run keeps each step’s planned changes as its output', async () => {
    const events = journal([
      runStarted(true),
      { type: 'phase-started', phase: 'prepare' },
      { type: 'step-started', step: 'snapshot', attempt: 1 },
      {
        type: 'step-planned',
        step: 'snapshot',
        changes: [
          { action: 'create', target: 'vol-1', summary: 'snapshot of 40 GiB' },
          { action: 'update', target: 'gift.example.com', summary: 'onprem 100 -> 90', manualUndo: true },
        ],
      },
      { type: 'step-rehearsed', step: 'snapshot', outputs: {} },
    ])
    const { log, outputs } = await rehearse(events)
    assert.equal(outputs.at(-1)?.data, 'snapshot of 40 GiB\nonprem 100 -> 90  [rollback: manual]')
    assert.equal(finalState(log, 'Take a snapshot'), 'COMPLETED')
  })

  test('a dry run shows under the step what its check found today', async () => {
    const events = journal([
      runStarted(true),
      { type: 'phase-started', phase: 'prepare' },
      { type: 'step-started', step: 'snapshot', attempt: 1 },
      { type: 'step-planned', step: 'snapshot', changes: [] },
      {
        type: 'step-rehearsed',
        step: 'snapshot',
        outputs: {},
        check: { result: 'would-fail', reason: 'alarm giftcard-5xx is ALARM', hint: 'the alarms must be OK' },
      },
    ])
    const { outputs } = await rehearse(events)
    assert.equal(
      outputs.at(-1)?.data,
      'no change needed\nwould fail today: alarm giftcard-5xx is ALARM\nhint: the alarms must be OK',
    )
  })

  test('a rollback appears as its own task, with a child per step it undoes, newest first', async () => {
    const events = journal([
      runStarted(),
      { type: 'phase-started', phase: 'prepare' },
      { type: 'step-started', step: 'snapshot', attempt: 1 },
      { type: 'undo-recorded', step: 'snapshot', undo: { id: 'snap-1' } },
      { type: 'step-applied', step: 'snapshot', outputs: {} },
      { type: 'step-started', step: 'announce', attempt: 1 },
      { type: 'step-applied', step: 'announce', outputs: {} },
      { type: 'phase-completed', phase: 'prepare' },
      { type: 'phase-started', phase: 'cutover' },
      { type: 'step-started', step: 'seed', attempt: 1 },
      { type: 'undo-recorded', step: 'seed', undo: { rows: 10 } },
      { type: 'step-failed', step: 'seed', attempt: 1, error: { message: SEED_ERROR }, willRetry: false },
      { type: 'step-skipped', step: 'shift', reason: 'upstream', upstream: 'seed' },
      { type: 'rollback-started', to: 'start', force: false, ...who },
      { type: 'compensation-started', step: 'seed' },
      { type: 'step-compensated', step: 'seed' },
      { type: 'step-compensated', step: 'announce' },
      { type: 'compensation-started', step: 'snapshot' },
      { type: 'compensation-failed', step: 'snapshot', error: { message: 'snapshot is locked' } },
      { type: 'run-paused', reason: 'rollback failed' },
    ])
    // The engine warns before rolling back, quoting the failure (drawn under seed already), and a
    // step reports progress while it is undone.
    const rollingBack = events.findIndex((e) => e.type === 'rollback-started')
    const undoing = events.findIndex((e) => e.type === 'compensation-started') + 1
    const script: EngineEvent[] = [
      ...events.slice(0, rollingBack),
      {
        type: 'notice',
        level: 'warning',
        message: `step cutover.seed failed: ${SEED_ERROR}; rolling back to start (on_failure: rollback)`,
      },
      ...events.slice(rollingBack, undoing),
      { type: 'step-progress', step: 'seed', percent: 50, message: 'deleting rows' },
      ...events.slice(undoing),
    ]
    const out = capture()
    const renderer = createListrRenderer({ stream: out.stream, env: {}, renderer: 'test' })
    await drive(renderer, script, {
      ...pausedOutcome,
      status: 'failed',
      message: 'rollback failed at snapshot',
    })
    const { log } = taskLog(out.text())
    const rollbackTitles = log.filter((e) => e.event === 'TITLE' && e.data === 'rollback to start')
    assert.equal(rollbackTitles.length, 1)
    const undo = log.filter((e) => e.task.path.at(-1)?.startsWith('undo '))
    const order = [...new Set(undo.map((e) => e.task.path.at(-1)))]
    assert.deepEqual(order, ['undo seed', 'undo announce', 'undo Take a snapshot'])
    assert.equal(finalState(log, 'undo seed'), 'COMPLETED')
    assert.equal(finalState(log, 'undo announce'), 'COMPLETED')
    assert.ok(of(log, 'undo announce').some((e) => e.data === 'undo announce nothing to undo'))
    assert.equal(finalState(log, 'undo Take a snapshot'), 'FAILED')
    assert.deepEqual(messages(log, 'undo Take a snapshot'), [{ error: 'snapshot is locked' }])
    // Progress while undoing goes to the undo task; the failed step's task is finished and left alone
    // (listr2's default renderer throws on output sent to a finished task).
    assert.ok(
      of(log, 'undo seed').some((e) => e.event === 'OUTPUT' && e.data === 'undo seed: 50% deleting rows'),
    )
    const seed = of(log, 'seed')
    const afterFailing = seed.slice(seed.findIndex((e) => e.data === 'FAILED') + 1)
    assert.deepEqual(
      afterFailing.filter((e) => e.event === 'OUTPUT'),
      [],
    )
    const { rest } = taskLog(out.text())
    assert.match(rest, /warning: step cutover\.seed failed \(error above\); rolling back to start/)
  })

  test('the rollback command starts from a paused run: its earlier failure shows, with its cause once', async () => {
    const earlier = journal([
      runStarted(),
      { type: 'phase-started', phase: 'prepare' },
      { type: 'step-started', step: 'snapshot', attempt: 1 },
      { type: 'step-applied', step: 'snapshot', outputs: {} },
      { type: 'step-started', step: 'announce', attempt: 1 },
      { type: 'step-applied', step: 'announce', outputs: {} },
      { type: 'phase-completed', phase: 'prepare' },
      { type: 'phase-started', phase: 'cutover' },
      { type: 'step-started', step: 'seed', attempt: 1 },
      { type: 'step-failed', step: 'seed', attempt: 1, error: { message: SEED_ERROR }, willRetry: false },
      { type: 'step-skipped', step: 'shift', reason: 'upstream', upstream: 'seed' },
      { type: 'run-paused', reason: `step cutover.seed failed: ${SEED_ERROR}` },
    ])
    const out = capture()
    const renderer = createListrRenderer({ stream: out.stream, env: {}, renderer: 'test' })
    renderer.start(runbook, foldJournal(earlier))
    for (const event of journal(
      [
        { type: 'rollback-started', to: 'start', force: false, ...who },
        { type: 'step-compensated', step: 'announce' },
        { type: 'compensation-started', step: 'snapshot' },
        { type: 'step-compensated', step: 'snapshot' },
        { type: 'rollback-completed', to: 'start' },
      ],
      earlier.length + 1,
    )) {
      renderer.event(event)
      await tick()
    }
    await renderer.finish({ ...pausedOutcome, status: 'rolled-back', message: 'rolled back to start' })
    const { log } = taskLog(out.text())
    assert.equal(finalState(log, 'seed'), 'FAILED')
    assert.deepEqual(messages(log, 'seed'), [{ error: SEED_ERROR }])
    assert.deepEqual(messages(log, 'shift'), [{ skip: 'skipped: upstream seed failed' }])
    assert.deepEqual(messages(log, 'cleanup'), [{ skip: 'not run' }])
    assert.deepEqual(
      [...new Set(log.filter((e) => e.task.path.at(-1)?.startsWith('undo ')).map((e) => e.task.path.at(-1)))],
      ['undo announce', 'undo Take a snapshot'],
    )
    assert.equal(finalState(log, 'undo Take a snapshot'), 'COMPLETED')
    assert.ok(log.some((e) => e.event === 'TITLE' && e.data === 'rolled back to start'))
  })

  test('an approval question is drawn in the phase’s prompt area, not written under listr2', async () => {
    const out = capture()
    const renderer = createListrRenderer({ stream: out.stream, env: {}, renderer: 'test' })
    const events = journal([
      runStarted(),
      { type: 'phase-started', phase: 'prepare' },
      { type: 'step-started', step: 'snapshot', attempt: 1 },
      { type: 'step-applied', step: 'snapshot', outputs: {} },
      { type: 'step-started', step: 'announce', attempt: 1 },
      { type: 'step-applied', step: 'announce', outputs: {} },
      { type: 'phase-completed', phase: 'prepare' },
    ])
    renderer.start(runbook, foldJournal(events.slice(0, 1)))
    for (const event of events) {
      renderer.event(event)
      await tick()
    }
    const answer = await renderer.prompt({ kind: 'phase', id: 'cutover' }, async (output) => {
      output.write('Start phase cutover? Type "cutover" to approve')
      return 'cutover'
    })
    assert.equal(answer, 'cutover')
    await renderer.finish(pausedOutcome)
    const { log } = taskLog(out.text())
    const cutover = log.filter((e) => e.task.path[0]?.startsWith('cutover'))
    assert.deepEqual(
      cutover.filter((e) => e.event === 'PROMPT').map((e) => e.data),
      ['Start phase cutover? Type "cutover" to approve'],
    )
    assert.deepEqual(
      cutover.filter((e) => e.event === 'STATE').map((e) => e.data),
      ['STARTED', 'WAITING', 'PROMPT', 'PROMPT_COMPLETED', 'WAITING', 'SKIPPED'],
    )
  })
})

// ---------- choosing ----------

describe('chooseRenderer', () => {
  const kind = async (json: boolean, isTTY: boolean, env: NodeJS.ProcessEnv, columns?: number) => {
    const out = capture(isTTY, columns)
    const renderer = await chooseRenderer({ json, stream: out.stream, env })
    const [started] = journal([runStarted()])
    renderer.start(runbook, foldJournal([started as JournalEvent]))
    renderer.event(started as JournalEvent)
    await renderer.finish({ ...pausedOutcome, next: [] })
    // A terminal in CI still gets colour; the kind is in the text under it.
    const text = stripVTControlCharacters(out.text())
    if (text.startsWith('{')) return 'json'
    return /^\d\d:\d\d:\d\d /.test(text) ? 'lines' : 'listr'
  }

  test('json when asked, lines off a terminal or in CI, listr2 on a terminal', async () => {
    assert.equal(await kind(true, true, {}), 'json')
    assert.equal(await kind(false, false, {}), 'lines')
    assert.equal(await kind(false, true, { CI: 'true' }), 'lines')
    assert.equal(await kind(false, true, { CI: 'false' }), 'listr')
    assert.equal(await kind(false, true, {}), 'listr')
  })

  test('a terminal that reports no width gets lines: listr2 would wrap each character alone', async () => {
    assert.equal(await kind(false, true, {}, 0), 'lines')
  })
})
