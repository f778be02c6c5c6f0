import assert from 'node:assert/strict'
import { appendFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { readJournal } from '../src/engine/journal.ts'
import {
  journalEvents,
  lines,
  startSwitchyard,
  switchyard,
  switchyardAsync,
  tempDir,
  waitUntil,
  writeRunbook,
} from './helpers/cli.ts'

const scratch = tempDir('fencing')
after(scratch.cleanup)
let n = 0

const HOLD_AT_GATE_B = '; while [ ! -e gate-b ]; do sleep 0.02; done'

/** Steps a, b, c in a chain; each appends to count-ID, b holding where `holdIn` says until the test creates gate-b. */
const chainOfThree = (holdIn: 'apply' | 'undo') =>
  ['a', 'b', 'c']
    .map(
      (id, i) => `      - id: ${id}
        uses: exec
${i > 0 ? `        needs: ${['a', 'b'][i - 1]}\n` : ''}        with:
          command: sh
          args: [-c, 'echo once >> count-${id}${id === 'b' && holdIn === 'apply' ? HOLD_AT_GATE_B : ''}']
          rollback:
            command: sh
            args: [-c, 'echo undo >> undo-${id}${id === 'b' && holdIn === 'undo' ? HOLD_AT_GATE_B : ''}']
`,
    )
    .join('')

/** Three steps; undoing b appends to undo-b, then holds until the test creates the file gate-b. */
const RUNBOOK = `version: 1
name: fenced
concurrency: 1
phases:
  - id: one
    steps:
${chainOfThree('undo')}`

/** A completed run, and a rollback of it held inside the undo of b. */
async function rollbackHeldInB() {
  const dir = join(scratch.dir, `w${++n}`)
  mkdirSync(dir)
  writeRunbook(dir, RUNBOOK)
  const run = switchyard(dir, ['run', 'runbook.yaml'])
  assert.equal(run.code, 0, run.stdout + run.stderr)
  const holder = startSwitchyard(dir, ['rollback', '--to', 'start'])
  await waitUntil(() => existsSync(join(dir, 'undo-b')), 'the undo of b to start')
  after(() => writeFileSync(join(dir, 'gate-b'), ''))
  return { dir, holder, openGate: () => writeFileSync(join(dir, 'gate-b'), '') }
}

/** The journal reads whole: no conflict, no torn line, one unbroken sequence. */
function assertJournalClean(dir: string) {
  const runId = journalEvents(dir)[0]?.runId as string
  const { events, warnings, setAside } = readJournal(
    join(dir, '.switchyard', 'runs', runId, 'journal.ndjson'),
  )
  assert.deepEqual(warnings, [])
  assert.deepEqual(setAside, [])
  assert.deepEqual(
    events.map((e) => e.seq),
    events.map((_, i) => i + 1),
  )
  return events
}

const count = (dir: string, file: string) => lines(join(dir, file)).length

/** The operator has looked and approves b as undone: the rollback finishes, each undo having run once. */
async function approveBAndFinishRollback(dir: string) {
  const decided = await switchyardAsync(dir, [
    'rollback',
    '--to',
    'start',
    '--approve',
    'b',
    '--reason',
    'checked: b is undone',
  ])
  assert.equal(decided.code, 0, decided.stdout + decided.stderr)
  for (const id of ['a', 'b', 'c']) assert.equal(count(dir, `undo-${id}`), 1)
}

describe('unlock --force and a live holder', () => {
  test('unlock --force refuses a holder alive on this host, naming its pid, what it is doing and how to stop it', async () => {
    const { dir, holder, openGate } = await rollbackHeldInB()
    const refused = await switchyardAsync(dir, ['unlock', 'fenced', '--force'])
    assert.equal(refused.code, 3, refused.stderr)
    assert.match(refused.stderr, new RegExp(`pid ${holder.child.pid}`))
    assert.match(refused.stderr, /rollback of run \S+/)
    assert.match(refused.stderr, /rolling back to start, undoing b/)
    assert.match(refused.stderr, /--kill/)
    const plain = await switchyardAsync(dir, ['unlock', 'fenced'])
    assert.equal(plain.code, 3, 'without --force too')
    assert.match(plain.stderr, /that process is alive: rolling back to start, undoing b/)
    openGate()
    const done = await holder.done
    assert.equal(done.code, 0, done.stdout + done.stderr)
    for (const id of ['a', 'b', 'c']) assert.equal(count(dir, `undo-${id}`), 1)
    assertJournalClean(dir)
  })

  test('unlock --force --kill pauses the holder with SIGTERM and journals it; a second rollback undoes each step once', async () => {
    const { dir, holder, openGate } = await rollbackHeldInB()
    const unlock = startSwitchyard(dir, ['unlock', 'fenced', '--force', '--kill'])
    await waitUntil(() => unlock.output().includes('sent SIGTERM'), 'unlock to send SIGTERM')
    openGate()
    const stopped = await holder.done
    assert.match(stopped.stdout, /rollback interrupted by the operator before undoing a/)
    const unlocked = await unlock.done
    assert.equal(unlocked.code, 0, unlocked.stdout + unlocked.stderr)
    assert.match(unlocked.stdout, /stopped with SIGTERM/)

    const again = await switchyardAsync(dir, ['rollback', '--to', 'start'])
    assert.equal(again.code, 0, again.stdout + again.stderr)
    for (const id of ['a', 'b', 'c']) assert.equal(count(dir, `undo-${id}`), 1, `undo of ${id} ran once`)
    const events = assertJournalClean(dir)
    assert.ok(events.some((e) => e.type === 'lock-broken' && e.stopped === 'SIGTERM'))
    assert.equal(events.at(-1)?.type, 'rollback-completed')
  })

  test('a holder still busy after the grace period gets SIGKILL; its cut-off undo waits for the operator', async () => {
    const { dir, holder, openGate } = await rollbackHeldInB()
    const unlocked = await switchyardAsync(dir, ['unlock', 'fenced', '--force', '--kill', '--grace', '200ms'])
    assert.equal(unlocked.code, 0, unlocked.stdout + unlocked.stderr)
    assert.match(unlocked.stdout, /sending SIGKILL/)
    assert.equal((await holder.done).signal, 'SIGKILL')

    const asks = await switchyardAsync(dir, ['rollback', '--to', 'start'])
    assert.equal(asks.code, 3, asks.stdout + asks.stderr)
    assert.match(asks.stdout, /undo of b was cut off/)
    assert.match(asks.stdout, /--retry-step b/)
    assert.equal(count(dir, 'undo-b'), 1, 'not undone again without a decision')
    const dryRun = await switchyardAsync(dir, ['rollback', '--to', 'start', '--dry-run'])
    assert.match(dryRun.stdout, /UNDO CUT OFF\s+one\.b/)
    // The operator looks: undo-b holds its line, so b is undone.
    await approveBAndFinishRollback(dir)
    const events = assertJournalClean(dir)
    assert.ok(events.some((e) => e.type === 'lock-broken' && e.stopped === 'SIGKILL'))
    openGate() // lets the orphaned undo command of the killed holder end
  })
})

describe('fencing', () => {
  test('a holder whose lock is broken stops before its next side effect and writes nothing more', async () => {
    const { dir, holder, openGate } = await rollbackHeldInB()
    // The holder as seen from another machine that shares the state folder.
    const lockFile = join(dir, '.switchyard', 'locks', 'fenced.lock')
    writeFileSync(
      lockFile,
      JSON.stringify({ ...JSON.parse(readFileSync(lockFile, 'utf8')), host: 'cutover-02' }),
    )
    const refused = await switchyardAsync(dir, ['unlock', 'fenced', '--force'])
    assert.equal(refused.code, 3, refused.stderr)
    assert.match(refused.stderr, /cannot tell from here whether pid \d+ on cutover-02 still runs/)
    assert.match(refused.stderr, /--force --yes/)
    const broken = await switchyardAsync(dir, ['unlock', 'fenced', '--force', '--yes'])
    assert.equal(broken.code, 0, broken.stderr)

    openGate()
    const fenced = await holder.done
    assert.equal(fenced.code, 3, fenced.stdout + fenced.stderr)
    assert.match(fenced.stderr, /lock on runbook fenced was broken/)
    assert.match(fenced.stderr, /wrote nothing more to the journal/)
    assert.equal(count(dir, 'undo-a'), 0, 'the next undo never started')
    const events = assertJournalClean(dir)
    assert.equal(events.at(-1)?.type, 'lock-broken', 'nothing after the break')

    const asks = await switchyardAsync(dir, ['rollback', '--to', 'start'])
    assert.equal(asks.code, 3, asks.stdout + asks.stderr)
    await approveBAndFinishRollback(dir)
    assertJournalClean(dir)
  })
})

/** Phase zero, then a, b, c in one; b's command appends to count-b, then holds until gate-b exists. */
const FORWARD_RUNBOOK = `version: 1
name: fenced
concurrency: 1
phases:
  - id: zero
    steps:
      - id: z
        uses: exec
        with: { command: sh, args: [-c, 'echo once >> count-z'] }
  - id: one
    steps:
${chainOfThree('apply')}`

/** Breaks the lock of a holder this host cannot vouch for, as an operator on another machine would. */
async function breakLockFromElsewhere(dir: string) {
  const lockFile = join(dir, '.switchyard', 'locks', 'fenced.lock')
  writeFileSync(
    lockFile,
    JSON.stringify({ ...JSON.parse(readFileSync(lockFile, 'utf8')), host: 'cutover-02' }),
  )
  const broken = await switchyardAsync(dir, ['unlock', 'fenced', '--force', '--yes'])
  assert.equal(broken.code, 0, broken.stderr)
}

describe('fencing a forward run', () => {
  for (const command of ['run', 'resume'] as const)
    test(`a ${command} whose lock is broken mid-step never starts the next step's command and writes nothing more`, async () => {
      const dir = join(scratch.dir, `w${++n}`)
      mkdirSync(dir)
      writeRunbook(dir, FORWARD_RUNBOOK)
      if (command === 'resume') {
        const first = switchyard(dir, ['run', 'runbook.yaml', '--until', 'zero'])
        assert.equal(first.code, 0, first.stdout + first.stderr)
      }
      const holder = startSwitchyard(dir, command === 'run' ? ['run', 'runbook.yaml'] : ['resume'])
      after(() => writeFileSync(join(dir, 'gate-b'), ''))
      await waitUntil(() => existsSync(join(dir, 'count-b')), 'the command of b to start')
      const refused = await switchyardAsync(dir, ['unlock', 'fenced', '--force'])
      assert.equal(refused.code, 3, 'refused while the holder lives on this host')
      await breakLockFromElsewhere(dir)

      writeFileSync(join(dir, 'gate-b'), '')
      const fenced = await holder.done
      assert.equal(fenced.code, 3, fenced.stdout + fenced.stderr)
      assert.match(fenced.stderr, /lock on runbook fenced was broken/)
      assert.match(fenced.stderr, /wrote nothing more to the journal/)
      assert.equal(existsSync(join(dir, 'count-c')), false, 'the command of c never ran')
      assert.equal(count(dir, 'count-b'), 1)
      const events = assertJournalClean(dir)
      assert.equal(events.at(-1)?.type, 'lock-broken', 'nothing after the break')
    })
})

describe('the state folder', () => {
  test('runs, journals, runbook copies and locks are private to the operator, whatever the umask', async () => {
    // Children inherit the umask: with 000, only switchyard's own modes keep the files private.
    const umask = process.umask(0o000)
    const { dir, holder, openGate } = await rollbackHeldInB().finally(() => process.umask(umask))
    const state = join(dir, '.switchyard')
    const runId = journalEvents(dir)[0]?.runId as string
    const mode = (path: string) => (statSync(path).mode & 0o777).toString(8)
    for (const folder of ['', 'runs', `runs/${runId}`, 'locks', 'locks/fenced.epochs'])
      assert.equal(mode(join(state, folder)), '700', `${folder || 'the state folder'} is 0700`)
    for (const file of [`runs/${runId}/journal.ndjson`, `runs/${runId}/runbook.yaml`, 'locks/fenced.lock'])
      assert.equal(mode(join(state, file)), '600', `${file} is 0600`)
    openGate()
    await holder.done
  })
})

describe('a journal two writers touched', () => {
  test('status names the fenced writer and its lines; rollback goes on from the consistent prefix', async () => {
    const { dir, holder, openGate } = await rollbackHeldInB()
    const lockFile = join(dir, '.switchyard', 'locks', 'fenced.lock')
    const held = JSON.parse(readFileSync(lockFile, 'utf8'))
    writeFileSync(lockFile, JSON.stringify({ ...held, host: 'cutover-02' }))
    assert.equal((await switchyardAsync(dir, ['unlock', 'fenced', '--force', '--yes'])).code, 0)
    // What the local folder cannot rule out: the holder checked its lease just before the break, and
    // its line lands after the breaker's.
    const runId = journalEvents(dir)[0]?.runId as string
    const journal = join(dir, '.switchyard', 'runs', runId, 'journal.ndjson')
    const last = journalEvents(dir).at(-1) as { seq: number }
    appendFileSync(
      journal,
      `${JSON.stringify({ seq: last.seq, at: new Date().toISOString(), epoch: held.epoch, type: 'step-compensated', step: 'b' })}\n`,
    )
    openGate()
    assert.equal((await holder.done).code, 3)

    const status = await switchyardAsync(dir, ['status'])
    assert.equal(status.code, 0, status.stderr)
    const lineNo = lines(journal).length
    assert.match(
      status.stdout,
      new RegExp(
        `line\\(s\\) ${lineNo} were written by pid ${holder.child.pid} on \\S+ \\(epoch ${held.epoch}\\) after its lock had been broken`,
      ),
    )
    assert.match(status.stdout, /step-compensated b/)
    assert.doesNotMatch(status.stdout + status.stderr, /damaged from outside/)

    await approveBAndFinishRollback(dir)
    const { events, setAside } = readJournal(journal)
    assert.equal(events.at(-1)?.type, 'rollback-completed')
    assert.deepEqual(
      setAside.map((s) => s.lines),
      [[lineNo]],
      'the stray line stays set aside, never rewritten',
    )
  })
})

describe('a run whose journal cannot be read', () => {
  test('runs and status list every other run and name the bad one; status of it exits 2 naming the file', async () => {
    const dir = join(scratch.dir, `w${++n}`)
    mkdirSync(dir)
    writeRunbook(dir, RUNBOOK)
    assert.equal(switchyard(dir, ['run', 'runbook.yaml']).code, 0)
    const runs = join(dir, '.switchyard', 'runs')
    for (const [id, text] of [
      ['20991231T000000Z-fenced-empty', ''],
      ['20991231T000001Z-fenced-torn', '{"seq":1,"at":"2099-12-31T00:00:01.000Z","type":"run-sta'],
    ]) {
      mkdirSync(join(runs, id as string))
      writeFileSync(join(runs, id as string, 'journal.ndjson'), text as string)
    }
    const listed = await switchyardAsync(dir, ['runs'])
    assert.equal(listed.code, 0, listed.stderr)
    assert.match(listed.stdout, /-fenced-\w{4}\s+completed/)
    assert.match(
      listed.stdout,
      /fenced-empty\s+unreadable\s+the journal \S+journal.ndjson holds no whole event/,
    )
    assert.match(listed.stdout, /fenced-torn\s+unreadable/)

    const latest = await switchyardAsync(dir, ['status'])
    assert.equal(latest.code, 0, latest.stderr)
    assert.match(latest.stdout, /: completed/)
    assert.match(latest.stderr, /run 20991231T000001Z-fenced-torn is unreadable/)

    const bad = await switchyardAsync(dir, ['status', '20991231T000000Z-fenced-empty'])
    assert.equal(bad.code, 2)
    assert.match(bad.stderr, /fenced-empty\/journal.ndjson holds no whole event/)
    assert.match(bad.stderr, /hint: nothing of run \S+ ran/)
  })
})

describe('a lock whose pid now belongs to another process', () => {
  test('is stale: unlock --force breaks it without stopping that process', async () => {
    const dir = join(scratch.dir, `w${++n}`)
    mkdirSync(join(dir, '.switchyard', 'locks'), { recursive: true })
    // This test's own pid is alive, but it started long after the (made-up) holder did.
    const holder = {
      operator: 'ana',
      host: hostname(),
      pid: process.pid,
      pidStart: '1',
      runId: 'r0',
      runbook: 'fenced',
      since: '2026-12-04T01:00:00Z',
      epoch: 1,
    }
    writeFileSync(join(dir, '.switchyard', 'locks', 'fenced.lock'), JSON.stringify(holder))
    const unlocked = await switchyardAsync(dir, ['unlock', 'fenced', '--force'])
    assert.equal(unlocked.code, 0, unlocked.stderr)
    assert.match(unlocked.stdout, /lock on fenced broken/)
    assert.equal(existsSync(join(dir, '.switchyard', 'locks', 'fenced.lock')), false)
  })
})
