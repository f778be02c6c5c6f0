// `switchyard drill` through the built CLI: the fault catalog, bad --inject values, and drills that
// start the demo platform (fixed ports: one drill at a time), fire a fault at a step, roll back to
// start and compare the whole world with the snapshot taken before.
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, describe, test } from 'node:test'
import { whyItFailed } from '../src/drill/verdict.ts'
import { journalEvents, root, startSwitchyard, switchyard, tempDir } from './helpers/cli.ts'

const scratch = tempDir('drill')
after(() => scratch.cleanup())

const fixture = (name: string) => join(root, 'test', 'fixtures', 'drill', name)
const shiftRunbook = join(root, 'runbooks', 'sandbox-shift.yaml')

/** One drill in a fresh folder of its own; its journal is read from there. */
async function drill(name: string, args: string[]) {
  const dir = join(scratch.dir, name)
  const { mkdirSync } = await import('node:fs')
  mkdirSync(dir)
  const result = await startSwitchyard(dir, ['drill', ...args, '--sandbox', '--json'], { AWS_PROFILE: '' })
    .done
  return { dir, result, report: result.stdout ? JSON.parse(result.stdout) : undefined }
}

describe('the fault catalog', () => {
  test('drill --faults prints one fault a line, its name first, with what it does and where it fits', () => {
    const result = switchyard(root, ['drill', '--faults'])
    assert.equal(result.code, 0, result.stderr)
    const lines = result.stdout.trim().split('\n')
    assert.deepEqual(
      lines.map((line) => line.split(/\s+/)[0]),
      [
        'alarm-mid-bake',
        'web-host-unhealthy',
        'seed-fails',
        'seed-stalls',
        'replica-disconnects',
        'route53-throttled',
        'route53-5xx',
        'cli-killed',
        'dc-replication-stops',
      ],
    )
    for (const line of lines) assert.match(line, /^\S+\s{2,}\S.* \[at: [^\]]+\]$/, line)
    assert.match(
      result.stdout,
      /^alarm-mid-bake\s+CloudWatch alarm giftcard-5xx turns ALARM.*\[at: route53\.shift\]$/m,
    )
  })
})

describe('what a drill passes on', () => {
  const clean = {
    faults: [{ name: 'alarm-mid-bake', step: 'shift', injectedAt: 1, detectedAt: 2 }],
    rollback: 'rolled-back',
    worldDiff: [],
    rtoMs: 5,
    rpo: { lost_bytes: 0, lost_commit_ms: 0, databases: [] },
    failedOutsideWindow: 0,
  }
  test('customers failing outside the fault window fail the drill, as a changed world does', () => {
    assert.deepEqual(whyItFailed(clean), [])
    assert.deepEqual(whyItFailed({ ...clean, failedOutsideWindow: 3 }), [
      "3 customer request(s) failed outside the fault's window (from the fault to detection or traffic restored, plus one TTL)",
    ])
    assert.match(
      whyItFailed({ ...clean, worldDiff: ['/sql/x: 1 -> 2'] }).join('\n'),
      /differs from before in 1 place/,
    )
  })
})

describe('a drill refuses what it cannot do, before it starts anything', () => {
  const flagship = join(root, 'runbooks', 'giftcard-cutover.yaml')
  const params = ['--params', join(root, 'runbooks', 'params', 'giftcard-cutover.sandbox.yaml')]
  const refused = (args: string[]) => switchyard(root, ['drill', flagship, ...params, '--sandbox', ...args])

  test('a misspelt fault is exit 2 naming --inject, the closest name and every fault', () => {
    const result = refused(['--inject', 'alarm-mid-bak@shift'])
    assert.equal(result.code, 2)
    assert.match(result.stderr, /error: --inject alarm-mid-bak@shift: no fault is named 'alarm-mid-bak'/)
    assert.match(
      result.stderr,
      /hint: did you mean 'alarm-mid-bake'\? faults: alarm-mid-bake, web-host-unhealthy, /,
    )
  })

  test('a step the fault does not fit is exit 2, listing the steps it fits', () => {
    const result = refused(['--inject', 'alarm-mid-bake@seed'])
    assert.equal(result.code, 2)
    assert.match(
      result.stderr,
      /--inject alarm-mid-bake@seed: alarm-mid-bake cannot be injected at seed \(a sql\.seed-replica step\)/,
    )
    assert.match(result.stderr, /hint: alarm-mid-bake fits these steps of giftcard-cutover: shift/)
  })

  test('a step the runbook does not have, or no step at all, is exit 2 with the choices', () => {
    const missing = refused(['--inject', 'seed-fails@sed'])
    assert.equal(missing.code, 2)
    assert.match(missing.stderr, /giftcard-cutover has no step 'sed'/)
    assert.match(
      missing.stderr,
      /did you mean 'seed'\? seed-fails fits these steps of giftcard-cutover: seed, seed-reports/,
    )
    const bare = refused(['--inject', 'route53-5xx'])
    assert.equal(bare.code, 2)
    assert.match(bare.stderr, /--inject route53-5xx: expected FAULT@STEP/)
    assert.match(bare.stderr, /route53-5xx fits these steps of giftcard-cutover: shift/)
  })

  test('no fault, a kill mixed with other faults, or no --sandbox is exit 2', () => {
    assert.equal(refused([]).code, 2)
    const mixed = refused(['--inject', 'cli-killed@seed', '--inject', 'alarm-mid-bake@shift'])
    assert.equal(mixed.code, 2)
    assert.match(mixed.stderr, /cli-killed cannot be combined with other faults/)
    const real = switchyard(root, ['drill', flagship, ...params, '--inject', 'alarm-mid-bake@shift'])
    assert.equal(real.code, 2)
    assert.match(real.stderr, /--sandbox: a drill breaks things, so it runs only against a fresh sandbox/)
  })
})

describe('drills against the demo platform', () => {
  test('alarm mid-bake: the gate restores traffic before the step fails, rollback leaves the world as before, and the run journals the result', async () => {
    const { dir, result, report } = await drill('alarm', [
      shiftRunbook,
      '-p',
      'bake=400ms',
      '--inject',
      'alarm-mid-bake@shift',
    ])
    assert.equal(result.code, 0, result.stdout + result.stderr)
    assert.equal(report.passed, true, JSON.stringify(report.reasons))
    assert.deepEqual(report.world_diff, [])
    assert.equal(report.faults[0].name, 'alarm-mid-bake')
    assert.ok(report.faults[0].injectedAt && report.faults[0].detectedAt)
    assert.ok(report.detection_ms > 0, `detection ${report.detection_ms}`)
    // The shift puts the on-prem weights back as its gate fails, and only then reports the failure.
    assert.ok(
      report.rto_ms > 0 && report.rto_ms <= report.detection_ms,
      `rto ${report.rto_ms}, detection ${report.detection_ms}`,
    )
    assert.equal(report.runOutcome, 'paused')
    assert.equal(report.rollback, 'rolled-back')
    assert.ok(report.kept.some((k: { path: string }) => k.path === '/aws/route53/history'))
    assert.equal(report.rpo.lost_bytes, 0)
    assert.ok(report.total_requests > 0, "customers' requests were counted")
    assert.equal(report.load.total, report.total_requests)
    assert.ok(
      report.failed_outside_window >= 0 && report.failed_outside_window <= report.failed_requests,
      `failed ${report.failed_requests}, outside the fault's window ${report.failed_outside_window}`,
    )

    const events = journalEvents(dir)
    const recorded = events.filter((e) => e.type === 'drill-result')
    assert.equal(recorded.length, 1)
    assert.equal(recorded[0]?.passed, true)
    assert.deepEqual(recorded[0]?.faults, report.faults)
    assert.equal(recorded[0]?.rto_ms, report.rto_ms)
    assert.equal(recorded[0]?.total_requests, report.total_requests)
    assert.equal(events.at(-2)?.type, 'rollback-completed', 'the drill-result follows the rollback')
    const status = switchyard(dir, ['status', '--json'])
    assert.equal(JSON.parse(status.stdout).status, 'rolled-back')
  })

  test('a stalled seed is noticed after stall_after, the replica is removed again, and no SQL log is lost', async () => {
    const { result, report } = await drill('stall', [
      fixture('seed-stall.yaml'),
      '--inject',
      'seed-stalls@seed',
      '--load',
      '0',
    ])
    assert.equal(result.code, 0, result.stdout + result.stderr)
    assert.equal(report.passed, true, JSON.stringify(report.reasons))
    assert.deepEqual(report.world_diff, [])
    assert.ok(report.detection_ms >= 1000, `stall_after is 1s: detection ${report.detection_ms}`)
    assert.equal(report.rto_ms, 0, 'traffic never left on-prem')
    assert.equal(report.rpo.lost_bytes, 0)
    assert.equal(report.rpo.lost_commit_ms, 0)
    assert.deepEqual(
      report.rpo.databases.map((d: { database: string }) => d.database),
      ['AG-GIFTCARD/GiftCard', 'AG-GIFTCARD/GiftCardAudit'],
    )
    assert.match(result.stderr, /replicate\.seed failed: seeding GiftCard to SQL-AWS-1 stalled/)
    assert.equal(report.total_requests, null, '--load 0: no customers')
  })

  test('a rollback that waits for an operator fails the drill (exit 1) and says why', async () => {
    const { dir, result, report } = await drill('manual', [
      fixture('manual-undo.yaml'),
      '--inject',
      'alarm-mid-bake@shift',
    ])
    assert.equal(result.code, 1, result.stdout + result.stderr)
    assert.equal(report.passed, false)
    assert.ok(
      report.reasons.some((r: string) => /the rollback to start did not finish: paused/.test(r)),
      JSON.stringify(report.reasons),
    )
    const events = journalEvents(dir)
    assert.equal(events.filter((e) => e.type === 'drill-result').length, 1)
    // The world the run changed is gone with the drill's sandbox: the run lets its runbook go.
    assert.equal(events.at(-1)?.type, 'run-abandoned')
  })
})
