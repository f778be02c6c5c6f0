// Zero downtime, measured: customers resolve www.gift.example through the sandbox's Route 53 as resolvers
// do (weighted picks, TTL caching) and send requests at a fixed rate while the flagship cutover runs.
import assert from 'node:assert/strict'
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { DEMO_RECORD, DEMO_ZONE_ID } from '../src/sandbox/aws/demo-world.ts'
import type { AppliedBatch } from '../src/sandbox/aws/route53/world.ts'
import { createRoute53World } from '../src/sandbox/aws/route53/world.ts'
import { DEMO_PLATFORM, type DemoPlatform, startDemoPlatform } from '../src/sandbox/demo-platform.ts'
import { cachingResolver } from '../src/sandbox/load/caching-resolver.ts'
import { answerQuery, type LoadSummary, startDemoLoad } from '../src/sandbox/load/index.ts'
import { type CliResult, root, startSwitchyard, switchyard, tempDir, waitUntil } from './helpers/cli.ts'
import { flagshipOverrides } from './helpers/flagship.ts'

const runbook = join(root, 'runbooks', 'giftcard-cutover.yaml')
const sandboxParams = join(root, 'runbooks', 'params', 'giftcard-cutover.sandbox.yaml')
const question = { zoneId: 'Z1', name: 'www.example.com', type: 'CNAME' }

/** A zone with the two weighted sets of a cutover, at the given weights. */
function weightedZone(weights: { onprem: number; aws: number }, ttl = 60, clock = () => 0) {
  const route53 = createRoute53World(clock)
  route53.addZone({ name: 'example.com', id: 'Z1' })
  for (const [site, weight] of Object.entries(weights))
    route53.putRecord('Z1', {
      Name: question.name,
      Type: 'CNAME',
      SetIdentifier: site,
      Weight: weight,
      TTL: ttl,
      ResourceRecords: [{ Value: `lb.${site}.example.com` }],
    })
  return route53
}

/** `n` evenly spread draws in [0, 1): the answers' split is then exact, not a sample. */
const evenDraws = (n: number) => {
  let i = 0
  return () => (i++ % n) / n
}

const tallyAnswers = (ask: () => string | undefined, times: number) => {
  const counts: Record<string, number> = {}
  for (let i = 0; i < times; i++) {
    const value = ask() ?? 'none'
    counts[value] = (counts[value] ?? 0) + 1
  }
  return counts
}

describe('clients resolve the record through the sandbox Route 53 as resolvers do', () => {
  test('weighted sets answer in proportion to their weights', () => {
    const route53 = weightedZone({ onprem: 90, aws: 10 })
    const random = evenDraws(100)
    const counts = tallyAnswers(() => answerQuery(route53, question, random)?.value, 100)
    assert.deepEqual(counts, { 'lb.onprem.example.com': 90, 'lb.aws.example.com': 10 })
  })

  test('a set weighing 0 never answers while another weighs more; all at 0 answer evenly', () => {
    const route53 = weightedZone({ onprem: 100, aws: 0 })
    assert.deepEqual(
      tallyAnswers(() => answerQuery(route53, question, evenDraws(50))?.value, 50),
      { 'lb.onprem.example.com': 50 },
    )
    const zeroes = weightedZone({ onprem: 0, aws: 0 })
    const random = evenDraws(10)
    assert.deepEqual(
      tallyAnswers(() => answerQuery(zeroes, question, random)?.value, 10),
      { 'lb.aws.example.com': 5, 'lb.onprem.example.com': 5 },
    )
  })

  test('a set whose health check fails is left out, unless every set fails', () => {
    const route53 = weightedZone({ onprem: 50, aws: 50 })
    const check = route53.addHealthCheck('hc-aws', false)
    const aws = route53.record('Z1', question.name, 'CNAME', 'aws')
    route53.putRecord('Z1', { ...aws, HealthCheckId: check })
    const random = evenDraws(20)
    assert.deepEqual(
      tallyAnswers(() => answerQuery(route53, question, random)?.value, 20),
      {
        'lb.onprem.example.com': 20,
      },
    )
    const onprem = route53.record('Z1', question.name, 'CNAME', 'onprem')
    route53.putRecord('Z1', { ...onprem, HealthCheckId: route53.addHealthCheck('hc-onprem', false) })
    assert.deepEqual(
      tallyAnswers(() => answerQuery(route53, question, random)?.value, 20),
      {
        'lb.aws.example.com': 10,
        'lb.onprem.example.com': 10,
      },
    )
  })

  test("a client keeps its answer for the record's TTL: traffic moves only as TTLs lapse", () => {
    let now = 1_000_000
    const clock = () => now
    const route53 = weightedZone({ onprem: 100, aws: 0 }, 60, clock)
    const resolve = cachingResolver(() => answerQuery(route53, question), clock)
    assert.equal(resolve()?.value, 'lb.onprem.example.com')
    route53.putRecord('Z1', { ...route53.record('Z1', question.name, 'CNAME', 'onprem'), Weight: 0 })
    route53.putRecord('Z1', { ...route53.record('Z1', question.name, 'CNAME', 'aws'), Weight: 100 })
    now += 59_999
    assert.equal(
      resolve()?.value,
      'lb.onprem.example.com',
      'the cached answer, a millisecond before it expires',
    )
    now += 1
    assert.equal(resolve()?.value, 'lb.aws.example.com', 'asked again once the TTL lapsed')
  })
})

/**
 * From a weight on AWS going above 0 until a TTL after it went back to 0: when a client's answer could
 * lead to AWS (the shift may go there more than once: its step retries).
 */
function awsWindows(history: AppliedBatch[], ttlMs: number): { from: number; until: number }[] {
  const windows: { from: number; until: number }[] = []
  let open: number | undefined
  for (const batch of history)
    for (const { record } of batch.changes) {
      if (record.SetIdentifier !== 'aws') continue
      if ((record.Weight ?? 0) > 0) open ??= batch.at
      else if (open !== undefined) {
        windows.push({ from: open, until: batch.at + ttlMs })
        open = undefined
      }
    }
  assert.equal(open, undefined, 'every shift onto AWS was taken back')
  return windows
}

/** The journal of the one run under `dir`. */
function journalOf(dir: string): Array<{ type: string } & Record<string, unknown>> {
  const runs = join(dir, '.switchyard', 'runs')
  const [run] = readdirSync(runs)
  return readFileSync(join(runs, run as string, 'journal.ndjson'), 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line))
}

describe('the flagship cutover under load', () => {
  test('--load without --sandbox is refused as bad input, before anything runs', () => {
    const work = tempDir('load-flag')
    try {
      const result = switchyard(work.dir, [
        'run',
        runbook,
        '--params',
        sandboxParams,
        '--load',
        '10',
        '--yes',
      ])
      assert.equal(result.code, 2, result.stderr)
      assert.match(result.stderr, /--load needs --sandbox/)
      assert.match(result.stderr, /hint: add --sandbox/)
      assert.throws(() => readdirSync(join(work.dir, '.switchyard', 'runs')), /ENOENT/)
    } finally {
      work.cleanup()
    }
  })

  test('run --sandbox --load: a clean cutover moves every customer to AWS and not one request fails', async () => {
    const work = tempDir('zero-downtime')
    try {
      const result = await startSwitchyard(
        work.dir,
        [
          'run',
          runbook,
          '--sandbox',
          '--params',
          sandboxParams,
          ...['-p', 'bake=500ms', '-p', 'gate_poll=100ms', '-p', 'sql_poll=200ms'],
          '--load',
          '40',
          '--yes',
        ],
        { AWS_PROFILE: '' },
      ).done
      assert.equal(result.code, 0, result.stdout.slice(-3000) + result.stderr)
      const loads = journalOf(work.dir).filter((e) => e.type === 'sandbox-load')
      assert.equal(loads.length, 1, 'one sandbox-load event, journaled as the run ends')
      const summary = loads[0]?.summary as LoadSummary
      assert.equal(summary.failed, 0, JSON.stringify(summary.reasons))
      assert.match(result.stderr, new RegExp(`sandbox load: ${summary.total} requests, 0 failed\n`))
      // The customers really moved: on-prem only at first, AWS only at the end.
      const [first, last] = [summary.buckets[0], summary.buckets.at(-2)]
      assert.ok(first && first.onprem > 0 && first.aws === 0, JSON.stringify(first))
      assert.ok(last && last.aws > 0 && last.onprem === 0, JSON.stringify(summary.buckets))
      assert.equal(
        summary.total,
        summary.buckets.reduce((sum, b) => sum + b.ok + b.failed, 0),
      )
      assert.ok(summary.total > 40 * 5, `${summary.total} requests in a run of several seconds`)
    } finally {
      work.cleanup()
    }
  })

  describe('a web host made unhealthy mid-shift', () => {
    const work = tempDir('zero-downtime-fault')
    let platform: DemoPlatform
    before(async () => {
      platform = await startDemoPlatform({ fixedPorts: false, seedingBytesPerSecond: 2 * 1024 ** 3 })
    })
    after(async () => {
      await platform?.close()
      work.cleanup()
    })

    test('requests fail only after it went down, only on it, and only until traffic left it', async () => {
      const webAws1 = platform.addresses.web['web-aws-1']?.instanceId as string
      const weights = () =>
        platform.aws.world.route53.weights(DEMO_ZONE_ID, DEMO_RECORD.name, DEMO_RECORD.type)
      // Half the customers on AWS at the first stage: enough of them meet the broken host.
      const halfFirst = join(work.dir, 'half-first.yaml')
      writeFileSync(
        halfFirst,
        readFileSync(sandboxParams, 'utf8').replace(/^stages: .*$/m, 'stages: [50, 100]'),
      )
      const load = startDemoLoad(platform, 40)
      let summary: LoadSummary | undefined
      try {
        const run = startSwitchyard(
          work.dir,
          [
            'run',
            runbook,
            '--params',
            halfFirst,
            ...flagshipOverrides(platform),
            ...['-p', 'bake=30s'],
            '--yes',
          ],
          { ...platform.env, AWS_PROFILE: '' },
        )
        let ended: CliResult | undefined
        void run.done.then((result) => {
          ended = result
        })
        await waitUntil(
          () => (weights().aws ?? 0) > 0 || ended !== undefined,
          'the shift to put weight on AWS',
        )
        assert.equal(
          ended,
          undefined,
          `the run ended before the shift: ${ended?.stdout.slice(-3000)}${ended?.stderr}`,
        )
        const downAt = Date.now()
        platform.iis.setHealth(webAws1, 'unhealthy')
        const result = await run.done
        assert.equal(result.code, 1, result.stdout.slice(-3000) + result.stderr)
        assert.match(result.stdout, /iis-health/)
        assert.deepEqual(weights(), { onprem: 100, aws: 0 }, 'the failed gate put the on-prem weights back')

        const ttlMs =
          1000 * (platform.aws.world.route53.record(DEMO_ZONE_ID, DEMO_RECORD.name, 'CNAME', 'aws')?.TTL ?? 0)
        const windows = awsWindows(platform.aws.world.route53.history, ttlMs)
        const restoredAt = windows.at(-1)?.until as number
        // Customers keep coming until some were sent after the last answer leading to AWS expired.
        await waitUntil(
          () => load.sofar().buckets.some((b) => Date.parse(b.at) > restoredAt),
          'requests sent after the TTL lapsed',
        )
        summary = await load.stop()
        const url = new URL(
          platform.addresses.webHealthUrl.replace('{host}', DEMO_PLATFORM.web.instances[0].address),
        )
        assert.ok(summary.failed > 0, 'customers sent to web-aws-1 while it was down saw errors')
        assert.deepEqual(Object.keys(summary.reasons), [`HTTP 503 from ${url.href}`])
        for (const failure of summary.failures) {
          assert.ok(
            Date.parse(failure.answeredAt) >= downAt,
            `answered before it went down: ${JSON.stringify(failure)}`,
          )
          const sent = Date.parse(failure.sentAt)
          assert.ok(
            windows.some((w) => w.from <= sent && sent <= w.until),
            `sent while no answer could lead to AWS: ${JSON.stringify({ failure, windows })}`,
          )
        }
        const afterwards = summary.buckets.filter((b) => Date.parse(b.at) > restoredAt)
        assert.ok(afterwards.length > 0 && afterwards.every((b) => b.aws === 0 && b.failed === 0))
      } finally {
        summary ??= await load.stop()
      }
    })
  })
})
