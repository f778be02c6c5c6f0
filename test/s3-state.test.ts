// Team state in S3, through the built CLI against the sandbox's S3: two "laptops" (each its own
// folder and cache) share one prefix; the sandbox's request log counts every change made to the world.
import assert from 'node:assert/strict'
import { mkdirSync, rmSync, writeFileSync } from 'node:fs'
import { hostname } from 'node:os'
import { join } from 'node:path'
import { after, before, beforeEach, describe, test } from 'node:test'
import { type AwsSandbox, sandboxEnv, startAwsSandbox } from '../src/sandbox/aws/index.ts'
import { lines, startSwitchyard, tempDir, waitUntil, writeRunbook } from './helpers/cli.ts'

const BUCKET = 'team-state'
const KMS_KEY = 'arn:aws:kms:us-east-1:123456789012:key/state-key'
const scratch = tempDir('s3-state')
let sandbox: AwsSandbox
/** The sandbox's clock runs ahead of the wall clock by this much: a lease lapses without waiting. */
let clockAhead = 0
let zone: string
let prefixes = 0
let prefix: string

before(async () => {
  sandbox = await startAwsSandbox({ now: () => Date.now() + clockAhead })
  sandbox.world.s3.createBucket(BUCKET, { versioning: true })
  zone = sandbox.world.route53.addZone({ name: 'team.example.com' }).id
})
after(async () => {
  await sandbox.close()
  scratch.cleanup()
})
/** A fresh prefix and fresh records, all on-prem: each run starts from the same world. */
function freshState() {
  prefix = `cutover-${++prefixes}`
  for (const record of RECORDS)
    for (const [id, weight] of [
      ['onprem', 100],
      ['aws', 0],
    ] as const)
      sandbox.world.route53.putRecord(zone, {
        Name: `${record}-${prefixes}.team.example.com`,
        Type: 'CNAME',
        SetIdentifier: id,
        Weight: weight,
        TTL: 60,
        HealthCheckId: undefined,
        ResourceRecords: [{ Value: `${id}.example.com` }],
      })
  sandbox.log.clear()
  sandbox.faults.clear()
}
beforeEach(freshState)

const RECORDS = ['www', 'api', 'pay']

/** A hold step (waits for a `release` file beside the runbook), then one weight change per record. */
const runbook = (hold: boolean) => `version: 1
name: team
phases:
${hold ? holdPhase : ''}  - id: shift
    concurrency: 1
    steps:
${RECORDS.map(
  (record) => `      - id: ${record}
        uses: route53.weights
        with:
          zone: ${zone}
          record: { name: ${record}-${prefixes}.team.example.com, type: CNAME }
          weights: { onprem: 0, aws: 100 }
          wait_insync: false
`,
).join('')}`
const holdPhase = `  - id: hold
    steps:
      - id: hold
        uses: exec
        with:
          command: sh
          args: [-c, 'while [ ! -f release ]; do sleep 0.02; done']
          idempotent: true
`

/** One operator's machine: its own working folder and its own cache of the S3 state. */
function laptop(name: string, text: string) {
  const dir = join(scratch.dir, `${prefix}-${name}`)
  mkdirSync(dir, { recursive: true })
  writeRunbook(dir, text)
  const env = {
    ...sandboxEnv(sandbox.url),
    AWS_REGION: 'us-east-1',
    SWITCHYARD_AWS_BACKOFF_MS: '20',
    XDG_CACHE_HOME: join(dir, 'cache'),
  }
  const state = ['--state-dir', `s3://${BUCKET}/${prefix}`]
  return {
    dir,
    start: (args: string[], extra: Record<string, string> = {}) =>
      startSwitchyard(dir, [...args, ...state], { ...env, ...extra }),
    cli: (args: string[], extra: Record<string, string> = {}) =>
      startSwitchyard(dir, [...args, ...state], { ...env, ...extra }).done,
  }
}

/** The keys under the prefix, relative to it. */
const keys = () => sandbox.world.s3.list(BUCKET, `${prefix}/`).map((o) => o.key.slice(prefix.length + 1))

/** The run's journal as S3 holds it: its segments in order, folded into events. */
function journalInS3(): Array<Record<string, unknown> & { type: string; seq: number }> {
  return sandbox.world.s3
    .list(BUCKET, `${prefix}/runs/`)
    .filter((o) => o.key.includes('/journal/'))
    .flatMap((o) => o.body.split('\n').filter(Boolean))
    .map((line) => JSON.parse(line))
}

/** How many times each record's weights were changed, from the sandbox's request log. */
function changesPerRecord(): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const call of sandbox.log.of('route53', 'ChangeResourceRecordSets')) {
    if (call.status !== 200) continue
    const name = /"Name":"([a-z]+)-\d+\.team/.exec(JSON.stringify(call.params))?.[1] ?? '?'
    counts[name] = (counts[name] ?? 0) + 1
  }
  return counts
}
const ONCE_EACH = Object.fromEntries(RECORDS.map((r) => [r, 1]))

function assertUnbroken(events: Array<{ seq: number }>) {
  assert.deepEqual(
    events.map((e) => e.seq),
    events.map((_, i) => i + 1),
    'the journal in S3 is one unbroken sequence',
  )
}

const puts = (part: string) =>
  sandbox.log.of('s3', 'PutObject').filter((c) => String((c.params as { key?: string }).key).includes(part))

describe('state in S3', () => {
  test('a run keeps its journal as create-only segments, its pinned runbook and its lease in S3, encrypted with the KMS key; another machine reads it', async () => {
    const a = laptop('a', runbook(false))
    const run = await a.cli(['run', 'runbook.yaml'], { SWITCHYARD_STATE_KMS_KEY_ID: KMS_KEY })
    assert.equal(run.code, 0, run.stdout + run.stderr)
    assert.deepEqual(changesPerRecord(), ONCE_EACH)

    const stored = keys()
    assert.ok(
      stored.some((k) => /^runs\/[^/]+\/runbook\.yaml$/.test(k)),
      `runbook pinned: ${stored}`,
    )
    assert.ok(stored.includes('locks/team.lock'), 'the lock object stays, released, keeping its epoch')
    const events = journalInS3()
    assertUnbroken(events)
    assert.equal(events.at(-1)?.type, 'run-completed')
    const started = events[0] as Record<string, unknown>
    assert.equal(started.host, hostname())
    assert.match(String(started.awsIdentity), /^arn:aws:iam::123456789012:user\/switchyard-sandbox$/)

    for (const call of puts('/journal/'))
      assert.deepEqual((call.params as { conditions: unknown }).conditions, { 'if-none-match': '*' })
    const segments = puts('/journal/').length
    assert.ok(segments < events.length, `group commit: ${segments} writes for ${events.length} events`)
    for (const object of sandbox.world.s3.list(BUCKET, `${prefix}/`))
      assert.deepEqual(object.encryption, { algorithm: 'aws:kms', kmsKeyId: KMS_KEY }, object.key)

    const b = laptop('b', runbook(false))
    const status = await b.cli(['status'])
    assert.equal(status.code, 0, status.stderr)
    assert.match(status.stdout, /: completed/)
    assert.match(status.stdout, /as arn:aws:iam::123456789012:user\/switchyard-sandbox/)
    const runs = await b.cli(['runs'])
    assert.match(runs.stdout, new RegExp(`${started.runId}\\s+completed`))
  })

  test('two CLIs at once: B is refused while A holds the lease, naming OS user, host and AWS identity; after kill -9 on A and its lease lapsing, B resumes and every change is made exactly once', async () => {
    const a = laptop('a', runbook(true))
    const b = laptop('b', runbook(true))
    const first = a.start(['run', 'runbook.yaml'], { SWITCHYARD_LEASE_TTL: '30' })
    await waitUntil(() => first.output().includes('hold.hold started'), "A's hold step")

    const refused = await b.cli(['run', 'runbook.yaml'])
    assert.equal(refused.code, 3, refused.stdout + refused.stderr)
    assert.match(refused.stderr, new RegExp(`locked by \\S+ on ${hostname()} \\(pid ${first.child.pid}`))
    assert.match(refused.stderr, /AWS arn:aws:iam::123456789012:user\/switchyard-sandbox/)
    assert.match(refused.stderr, /lease lapses in \d+s/)

    first.child.kill('SIGKILL')
    await first.done
    const early = await b.cli(['resume'])
    assert.equal(early.code, 3, 'the lease of a killed holder holds until its TTL has passed')

    clockAhead += 31_000
    writeFileSync(join(a.dir, 'release'), '')
    const resumed = await b.cli(['resume'])
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr)
    assert.deepEqual(changesPerRecord(), ONCE_EACH)
    const events = journalInS3()
    assertUnbroken(events)
    assert.deepEqual([...new Set(events.map((e) => e.epoch))], [1, 2], "A's epoch, then B's")
    assert.equal(events.at(-1)?.type, 'run-completed')
  })

  test('a holder whose lease lapsed while it was away stops before its next side effect: the segment it would write is taken (412), and nothing of it lands', async () => {
    const a = laptop('a', runbook(true))
    const b = laptop('b', runbook(true))
    // A renews too rarely to matter here: from S3's clock its lease lapses, as for a laptop asleep.
    const first = a.start(['run', 'runbook.yaml'], { SWITCHYARD_LEASE_TTL: '600' })
    await waitUntil(() => first.output().includes('hold.hold started'), "A's hold step")
    clockAhead += 601_000
    const second = b.start(['resume'])
    // B journals under its epoch, then waits for A's running command (same host) to end.
    await Promise.race([
      waitUntil(() => journalInS3().some((e) => e.epoch === 2), "B's first segment"),
      second.done.then((r) => assert.fail(`B ended before it wrote: ${r.stdout}${r.stderr}`)),
    ])
    writeFileSync(join(a.dir, 'release'), '')

    const [stopped, resumed] = await Promise.all([first.done, second.done])
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr)
    assert.equal(stopped.code, 3, stopped.stdout + stopped.stderr)
    assert.match(stopped.stderr, /another writer wrote segment \d+ of run \S+ journal in s3:\/\/team-state/)
    assert.deepEqual(changesPerRecord(), ONCE_EACH, 'A made no change after losing its lease')
    const events = journalInS3()
    assertUnbroken(events)
    assert.ok(
      events.filter((e) => e.epoch === 1).every((e) => e.seq < (events.find((x) => x.epoch === 2)?.seq ?? 0)),
      "nothing of A's lands after B took over",
    )
  })

  test('a holder that cannot renew its lease (S3 failing) stops before its next side effect; another machine resumes once it lapses', async () => {
    const a = laptop('a', runbook(true))
    const b = laptop('b', runbook(true))
    const first = a.start(['run', 'runbook.yaml'], { SWITCHYARD_LEASE_TTL: '1' })
    await waitUntil(() => journalInS3().some((e) => e.type === 'command-started'), "A's hold command")
    sandbox.faults.add({ service: 's3', operation: 'PutObject', kind: 'server-error', times: 10_000 })
    const failedRenewals = () => puts('locks/team.lock').filter((c) => c.status === 500)
    // Renewals failing for longer than the TTL, on the sandbox's clock: A's lease has lapsed.
    await waitUntil(() => {
      const failed = failedRenewals()
      return failed.length > 1 && (failed.at(-1)?.at ?? 0) - (failed[0]?.at ?? 0) > 1000
    }, "A's renewals failing for a whole TTL")
    writeFileSync(join(a.dir, 'release'), '')
    const stopped = await first.done
    assert.equal(stopped.code, 3, stopped.stdout + stopped.stderr)
    assert.match(stopped.stderr, /could not renew its lease on runbook team within its 1s TTL/)
    assert.deepEqual(changesPerRecord(), {}, 'A changed nothing after its lease lapsed')

    sandbox.faults.clear()
    clockAhead += 2_000
    const resumed = await b.cli(['resume'])
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr)
    assert.deepEqual(changesPerRecord(), ONCE_EACH)
    assertUnbroken(journalInS3())
  })

  test('kill -9 at several points, then unlock --force (journaled in S3) and resume from another machine: each change exactly once', async () => {
    for (const k of [3, 6, 9]) {
      freshState()
      const a = laptop('a', runbook(false))
      const b = laptop('b', runbook(false))
      const killed = await a.cli(['run', 'runbook.yaml'], { SWITCHYARD_CRASH_AFTER_EVENTS: String(k) })
      assert.equal(killed.signal, 'SIGKILL', `k=${k}: killed\n${killed.stderr}`)
      const unlock = await b.cli(['unlock', 'team', '--force'])
      assert.equal(unlock.code, 0, `k=${k}: ${unlock.stdout}${unlock.stderr}`)
      const resumed = await b.cli(['resume'])
      assert.equal(resumed.code, 0, `k=${k}: ${resumed.stdout}${resumed.stderr}`)
      const events = journalInS3()
      assertUnbroken(events)
      assert.equal(events.filter((e) => e.type === 'lock-broken').length, 1, `k=${k}: the break is journaled`)
      assert.equal(events.at(-1)?.type, 'run-completed', `k=${k}`)
      assert.deepEqual(changesPerRecord(), ONCE_EACH, `k=${k}`)
    }
  })

  test("resume on a machine where the run's folder does not exist runs its steps in the folder of the runbook given there", async () => {
    const text = `version: 1
name: team
phases:
  - id: one
    steps:
      - id: mark
        uses: exec
        with: { command: sh, args: [-c, 'echo once >> marks'], idempotent: true }
      - id: later
        uses: exec
        needs: [mark]
        with: { command: sh, args: [-c, 'echo once >> marks'], idempotent: true }
`
    const a = laptop('a', text)
    const killed = await a.cli(['run', 'runbook.yaml'], { SWITCHYARD_CRASH_AFTER_EVENTS: '2' })
    assert.equal(killed.signal, 'SIGKILL', killed.stderr)
    rmSync(a.dir, { recursive: true, force: true })
    const b = laptop('b', text)
    assert.equal((await b.cli(['unlock', 'team', '--force'])).code, 0)
    const resumed = await b.cli(['resume', '--runbook', 'runbook.yaml'])
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr)
    assert.deepEqual(lines(join(b.dir, 'marks')), ['once', 'once'], "both steps ran in B's folder")
  })

  test('503 SlowDown, 500 and dropped connections on S3 during a run are retried: the run completes with every event once', async () => {
    sandbox.faults.add({ service: 's3', operation: 'PutObject', kind: 'throttle', times: 2 })
    sandbox.faults.add({ service: 's3', operation: 'PutObject', kind: 'server-error', code: 'InternalError' })
    sandbox.faults.add({ service: 's3', operation: 'PutObject', kind: 'drop', times: 2 })
    sandbox.faults.add({ service: 's3', operation: 'GetObject', kind: 'drop' })
    const a = laptop('a', runbook(false))
    const run = await a.cli(['run', 'runbook.yaml'])
    assert.equal(run.code, 0, run.stdout + run.stderr)
    assert.deepEqual(sandbox.faults.pending(), [], 'every fault was met')
    assertUnbroken(journalInS3())
    assert.deepEqual(changesPerRecord(), ONCE_EACH)
  })

  test('a bad S3 address is refused naming --state-dir (exit 2); a missing bucket says to create it (exit 2)', async () => {
    const a = laptop('a', runbook(false))
    const bad = await startSwitchyard(a.dir, ['status', '--state-dir', 's3://Not_A_Bucket/x']).done
    assert.equal(bad.code, 2, bad.stderr)
    assert.match(
      bad.stderr,
      /^error: --state-dir s3:\/\/Not_A_Bucket\/x: 'Not_A_Bucket' is not an S3 bucket name\n/,
    )
    const missing = await startSwitchyard(a.dir, ['status', '--state-dir', 's3://no-such-bucket/x'], {
      ...sandboxEnv(sandbox.url),
      AWS_REGION: 'us-east-1',
      XDG_CACHE_HOME: join(a.dir, 'cache'),
    }).done
    assert.equal(missing.code, 2, missing.stderr)
    assert.match(missing.stderr, /NoSuchBucket/)
    assert.match(missing.stderr, /create the bucket/)
  })
})
