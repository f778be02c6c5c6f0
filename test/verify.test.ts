// The audit trail: every journal line links to the one before by its sha256 (the first, to the pinned
// runbook), and `switchyard verify` finds a line edited or removed in the middle, by its number.
import assert from 'node:assert/strict'
import { createHash } from 'node:crypto'
import { appendFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import type { NewEvent } from '../src/engine/events.ts'
import { JOURNAL_FILE, Journal } from '../src/engine/journal.ts'
import { verifyJournal } from '../src/engine/journal-verify.ts'
import { acquireLock, removeLockOf } from '../src/engine/lock.ts'
import { sandboxEnv, startAwsSandbox } from '../src/sandbox/aws/index.ts'
import { switchyardAsync, tempDir, writeRunbook } from './helpers/cli.ts'

const scratch = tempDir('verify')
after(scratch.cleanup)
let n = 0

const sha256 = (text: string | Buffer) => createHash('sha256').update(text).digest('hex')

const RUNBOOK = `version: 1
name: audited
phases:
  - id: one
    steps:
      - id: a
        uses: exec
        with: { command: sh, args: [-c, 'echo a >> done-a'] }
  - id: two
    steps:
      - id: b
        uses: exec
        with: { command: sh, args: [-c, 'echo b >> done-b'] }
`

/** A workspace with one run of RUNBOOK (all of it, or paused after phase one). */
async function runOnce(extra: string[] = []) {
  const dir = join(scratch.dir, `w${++n}`)
  mkdirSync(dir)
  writeRunbook(dir, RUNBOOK)
  const run = await switchyardAsync(dir, ['run', 'runbook.yaml', ...extra])
  assert.equal(run.code, 0, run.stdout + run.stderr)
  const runs = join(dir, '.switchyard', 'runs')
  const runId = readdirSync(runs)[0] as string
  const journal = join(runs, runId, JOURNAL_FILE)
  const lines = () => readFileSync(journal, 'utf8').split('\n').slice(0, -1)
  const rewrite = (edit: (lines: string[]) => string[]) =>
    writeFileSync(journal, `${edit(lines()).join('\n')}\n`)
  return { dir, runId, journal, pinned: join(runs, runId, 'runbook.yaml'), lines, rewrite }
}

const verify = (dir: string, args: string[] = []) => switchyardAsync(dir, ['verify', ...args])

describe('switchyard verify', () => {
  test("an untouched run is intact: exit 0, and the chain head is the sha256 of the journal's last line", async () => {
    const { dir, runId, lines, pinned } = await runOnce()
    const result = await verify(dir)
    assert.equal(result.code, 0, result.stdout + result.stderr)
    assert.match(result.stdout, new RegExp(`run ${runId}: journal intact: ${lines().length} events`))
    assert.match(result.stdout, new RegExp(`chain head: ${sha256(lines().at(-1) as string)}\n`))
    // The links themselves, as an auditor could check them with sha256sum alone.
    const events = lines().map((l) => JSON.parse(l) as { prev: string })
    assert.equal(events[0]?.prev, sha256(readFileSync(pinned)))
    for (let i = 1; i < events.length; i++) assert.equal(events[i]?.prev, sha256(lines()[i - 1] as string))

    const json = await verify(dir, [runId, '--json'])
    assert.equal(json.code, 0, json.stderr)
    const report = JSON.parse(json.stdout)
    assert.equal(report.intact, true)
    assert.equal(report.head, sha256(lines().at(-1) as string))
    assert.deepEqual(report.problems, [])
  })

  test('a line edited in the middle is found and named by its number: exit 1', async () => {
    const { dir, rewrite } = await runOnce()
    // Backdated by a year: still whole JSON, still the same seq.
    rewrite((lines) => lines.map((l, i) => (i === 4 ? l.replace('"at":"2026', '"at":"2025') : l)))
    const result = await verify(dir)
    assert.equal(result.code, 1, result.stdout + result.stderr)
    assert.match(result.stdout, /journal TAMPERED/)
    assert.match(result.stdout, /^ {2}line 5 was changed or removed: line 6 links to /m)
    assert.match(result.stdout, /hint: switchyard never rewrites a journal line/)
  })

  test('a line removed from the middle is found and named by where it was: exit 1', async () => {
    const { dir, rewrite } = await runOnce()
    rewrite((lines) => lines.filter((_, i) => i !== 6))
    const result = await verify(dir, ['--json'])
    assert.equal(result.code, 1, result.stdout + result.stderr)
    const report = JSON.parse(result.stdout)
    assert.equal(report.intact, false)
    assert.deepEqual(
      report.problems.map((p: { line: number; message: string }) => [p.line, p.message]),
      [[7, 'line 7 was changed or removed: its seq 8 does not follow 6']],
    )
  })

  test('a pinned runbook edited after the run started is named: exit 1', async () => {
    const { dir, pinned } = await runOnce()
    appendFileSync(pinned, '# harmless, surely\n')
    const result = await verify(dir)
    assert.equal(result.code, 1, result.stdout)
    assert.match(
      result.stdout,
      /the pinned runbook runbook\.yaml was changed: its sha256 is [0-9a-f]{64}, the run started with/,
    )
  })

  test('a torn last line (a crash mid-write) is not tampering; resume links past it and the chain holds', async () => {
    const { dir, journal, lines } = await runOnce(['--until', 'one'])
    appendFileSync(journal, '{"seq":99,"at":"2026-12-04T02:00:00.000Z","type":"step-sta')
    const torn = await verify(dir)
    assert.equal(torn.code, 0, torn.stdout + torn.stderr)
    assert.match(torn.stdout, /journal intact/)
    assert.match(torn.stdout, /note: the journal's last line \(\d+\) is incomplete/)

    const resumed = await switchyardAsync(dir, ['resume'])
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr)
    const after = await verify(dir)
    assert.equal(after.code, 0, after.stdout)
    assert.match(after.stdout, /journal intact/)
    assert.ok(lines().some((l) => l.includes('"journal-torn-line"')))
  })

  test('a journal from a switchyard before the chain says so, not "tampered"; resuming it chains from there', async () => {
    const { dir, rewrite } = await runOnce(['--until', 'one'])
    rewrite((lines) => lines.map((l) => l.replace(/"prev":"[0-9a-f]{64}",/, '')))
    const old = await verify(dir)
    assert.equal(old.code, 0, old.stdout + old.stderr)
    assert.match(
      old.stdout,
      /written by a switchyard from before the hash chain .*it cannot be verified line by line/,
    )
    assert.doesNotMatch(old.stdout, /TAMPERED/)

    const unchained = JSON.parse((await verify(dir, ['--json'])).stdout).events
    assert.equal((await switchyardAsync(dir, ['resume'])).code, 0)
    const mixed = await verify(dir, ['--json'])
    assert.equal(mixed.code, 0, mixed.stdout)
    const report = JSON.parse(mixed.stdout)
    assert.equal(report.intact, true)
    assert.deepEqual(
      report.unchainedLines,
      Array.from({ length: unchained }, (_, i) => i + 1),
    )
  })

  test('a run that is not there is bad input: exit 2 naming the run', async () => {
    const { dir } = await runOnce()
    const result = await verify(dir, ['20261204T000000Z-nope-0000'])
    assert.equal(result.code, 2, result.stderr)
    assert.match(result.stderr, /no run 20261204T000000Z-nope-0000 in/)
  })
})

describe('the chain in team state (S3)', () => {
  test('a run kept in S3 verifies intact from a machine that only has S3, and its segments carry the same links', async () => {
    const sandbox = await startAwsSandbox()
    try {
      sandbox.world.s3.createBucket('audit-state', { versioning: true })
      const laptop = (name: string) => {
        const dir = join(scratch.dir, `s3-${name}-${++n}`)
        mkdirSync(dir)
        return {
          dir,
          env: { ...sandboxEnv(sandbox.url), AWS_REGION: 'us-east-1', XDG_CACHE_HOME: join(dir, 'cache') },
        }
      }
      const state = ['--state-dir', 's3://audit-state/night']
      const a = laptop('a')
      writeRunbook(a.dir, RUNBOOK)
      const run = await switchyardAsync(a.dir, ['run', 'runbook.yaml', ...state], a.env)
      assert.equal(run.code, 0, run.stdout + run.stderr)

      const b = laptop('b')
      const result = await switchyardAsync(b.dir, ['verify', ...state, '--json'], b.env)
      assert.equal(result.code, 0, result.stdout + result.stderr)
      const report = JSON.parse(result.stdout)
      assert.equal(report.intact, true)
      const segments = sandbox.world.s3
        .list('audit-state', `night/runs/${report.runId}/journal/`)
        .map((o) => o.body)
        .join('')
        .split('\n')
        .slice(0, -1)
      assert.equal(segments.length, report.events)
      assert.equal(report.head, sha256(segments.at(-1) as string))
      for (let i = 1; i < segments.length; i++)
        assert.equal(JSON.parse(segments[i] as string).prev, sha256(segments[i - 1] as string))
    } finally {
      await sandbox.close()
    }
  })
})

describe('the chain with two writers (a lock broken while its holder still ran)', () => {
  const started: NewEvent = {
    type: 'run-started',
    runId: 'r1',
    runbook: { name: 'rb', file: 'rb.yaml', path: '/x/rb.yaml', hash: sha256('pinned runbook\n') },
    params: {},
    dryRun: false,
    operator: 'ana',
    host: 'h1',
    pid: 41,
  }
  const holder = (runbook: string) => ({
    operator: 'ana',
    host: 'h1',
    pid: process.pid,
    runId: 'r1',
    runbook,
    since: new Date().toISOString(),
  })

  test("the fenced writer's late line links to its own last line: set aside, said, and the chain still holds", async () => {
    const runFolder = join(scratch.dir, `two-writers-${++n}`)
    const state = join(scratch.dir, `two-writers-state-${n}`)
    const firstHolder = holder('rb')
    const first = acquireLock(state, firstHolder)
    const journal = Journal.create(runFolder, first, undefined, sha256('pinned runbook\n'))
    writeFileSync(join(runFolder, 'runbook.yaml'), 'pinned runbook\n')
    await journal.append(started).durable
    await journal.append({ type: 'phase-started', phase: 'one' }).durable
    await journal.close()
    const lastOfFirst = readFileSync(join(runFolder, JOURNAL_FILE), 'utf8').split('\n').at(-2) as string

    removeLockOf(state, firstHolder)
    const second = Journal.open(runFolder, acquireLock(state, holder('rb')))
    await second.journal.append({
      type: 'lock-broken',
      by: 'bo@h2',
      holder: { pid: 41, host: 'h1', epoch: 1 },
    }).durable
    await second.journal.close()
    // The holder had checked its lease just before the break: its line lands after the breaker's.
    const stray = { seq: 3, at: new Date().toISOString(), epoch: first.epoch, prev: sha256(lastOfFirst) }
    appendFileSync(
      join(runFolder, JOURNAL_FILE),
      `${JSON.stringify({ ...stray, type: 'phase-completed', phase: 'one' })}\n`,
    )

    const result = verifyJournal(runFolder)
    assert.deepEqual(result.problems, [])
    assert.equal(result.intact, true)
    assert.equal(result.events, 3)
    assert.match(result.warnings.join('\n'), /line\(s\) 4 were written by .* after its lock had been broken/)
  })

  test('a forged line slipped into the middle breaks the link of the line after it', async () => {
    const runFolder = join(scratch.dir, `forged-${++n}`)
    const state = join(scratch.dir, `forged-state-${n}`)
    const journal = Journal.create(
      runFolder,
      acquireLock(state, holder('rb')),
      undefined,
      sha256('pinned runbook\n'),
    )
    writeFileSync(join(runFolder, 'runbook.yaml'), 'pinned runbook\n')
    for (const event of [
      started,
      { type: 'phase-started', phase: 'one' },
      { type: 'phase-completed', phase: 'one' },
    ] as NewEvent[])
      await journal.append(event).durable
    await journal.close()
    const path = join(runFolder, JOURNAL_FILE)
    const lines = readFileSync(path, 'utf8').split('\n').slice(0, -1)
    // A made-up approval, linked correctly to line 1, with the seqs after it renumbered.
    const forged = JSON.stringify({
      ...JSON.parse(lines[1] as string),
      prev: sha256(lines[0] as string),
      type: 'approval-granted',
      phase: 'one',
    })
    const renumbered = lines.slice(1).map((l) => l.replace(/"seq":(\d+)/, (_, s) => `"seq":${Number(s) + 1}`))
    writeFileSync(path, `${[lines[0], forged, ...renumbered].join('\n')}\n`)
    const result = verifyJournal(runFolder)
    assert.equal(result.intact, false)
    assert.deepEqual(
      result.problems.map((p) => p.line),
      [2, 3],
    )
  })
})
