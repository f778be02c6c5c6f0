import assert from 'node:assert/strict'
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, beforeEach, describe, test } from 'node:test'
import { setTimeout as delay } from 'node:timers/promises'
import { type AwsSandbox, sandboxEnv, startAwsSandbox } from '../src/sandbox/aws/index.ts'
import { journalEvents, startSwitchyard, tempDir, writeRunbook } from './helpers/cli.ts'

const scratch = tempDir('route53-shift')
let sandbox: AwsSandbox
let zone: string
let name: string
let n = 0

const BAKE = '300ms'
const POLL_MS = 50
const ORIGINAL = { onprem: 100, aws: 0 }

before(async () => {
  sandbox = await startAwsSandbox()
})
after(async () => {
  await sandbox.close()
  scratch.cleanup()
})

beforeEach(() => {
  name = `gift.zone${++n}.example.com`
  zone = sandbox.world.route53.addZone({ name: `zone${n}.example.com` }).id
  for (const [id, weight, target] of [
    ['onprem', 100, 'lb.onprem.example.com'],
    ['aws', 0, 'alb-123.us-east-1.elb.amazonaws.com'],
  ] as const)
    sandbox.world.route53.putRecord(zone, {
      Name: name,
      Type: 'CNAME',
      SetIdentifier: id,
      Weight: weight,
      TTL: 1,
      ResourceRecords: [{ Value: target }],
    })
  sandbox.log.clear()
})

interface ShiftOptions {
  stages?: string
  bake?: string
  gates?: string
  extra?: string
  /** Steps of a phase before the shift (e.g. a check the shift's gates name). */
  before?: string
}

const shiftRunbook = (o: ShiftOptions = {}) => `version: 1
name: shift${n}
params: { zone: { required: true } }
phases:
${o.before ?? ''}  - id: traffic
    steps:
      - id: shift
        uses: route53.shift
        with:
          zone: "\${{ params.zone }}"
          record: { name: ${name}, type: CNAME }
          from: onprem
          to: aws
          stages: ${o.stages ?? '[10, 50, 100]'}
          bake: ${o.bake ?? BAKE}
          poll: ${POLL_MS}ms
          gates: ${o.gates ?? '[]'}
${o.extra ?? ''}`

const env = () => ({ ...sandboxEnv(sandbox.url), AWS_REGION: 'us-east-1' })

function switchyard(dir: string, args: string[], extraEnv: Record<string, string> = {}) {
  return startSwitchyard(dir, args, { ...env(), ...extraEnv })
}

function workspace(text: string, label = `w${n}`): string {
  const dir = join(scratch.dir, label)
  mkdirSync(dir, { recursive: true })
  writeRunbook(dir, text)
  return dir
}

const weights = () => sandbox.world.route53.weights(zone, name, 'CNAME')
const batches = () => sandbox.world.route53.history.filter((b) => b.zoneId === zone)
const awsWeightOf = (batch: { changes: { record: { SetIdentifier?: string; Weight?: number } }[] }) =>
  batch.changes.find((c) => c.record.SetIdentifier === 'aws')?.record.Weight
const checkpoints = (dir: string) =>
  journalEvents(dir)
    .filter((e) => e.type === 'step-checkpoint')
    .map((e) => (e.data as { stage: number }).stage)

/** Waits (in the test, while the CLI runs) until the zone has seen `count` change batches. */
/** Resolves as the request after the `count`th change batch arrives: the shift is then at that stage. */
async function batchesReach(count: number): Promise<void> {
  await sandbox.log.until(() => batches().length >= count)
}

describe('route53.shift', () => {
  test('a 3-stage shift sends one batch per stage, waits the TTL, and journals a checkpoint per stage', async () => {
    sandbox.world.cloudwatch.addAlarm({ name: `ok-${n}`, state: 'OK', reason: 'fine' })
    const check = sandbox.world.route53.addHealthCheck(`hc-${n}`, true)
    const before = `  - id: preflight
    steps:
      - id: alarms-ok
        uses: cloudwatch.alarm
        with: { alarms: [ok-${n}] }
`
    const dir = workspace(
      shiftRunbook({
        before,
        gates: `[{ alarm: ok-${n} }, { health_check: ${check} }, { step: alarms-ok }]`,
      }),
    )
    const run = await switchyard(dir, ['run', 'runbook.yaml', '-p', `zone=${zone}`]).done
    assert.equal(run.code, 0, run.stdout + run.stderr)
    assert.deepEqual(weights(), { onprem: 0, aws: 100 })
    const sent = sandbox.log.of('route53', 'ChangeResourceRecordSets')
    assert.equal(sent.length, 3, 'one batch per stage')
    assert.deepEqual(batches().map(awsWeightOf), [10, 50, 100])
    for (const batch of batches()) assert.equal(batch.changes.length, 2, 'both records in the one batch')
    for (let i = 1; i < sent.length; i++) {
      const gap = (sent[i]?.at as number) - (sent[i - 1]?.at as number)
      assert.ok(gap >= 1000 + 300, `stage ${i + 1} began ${gap}ms after stage ${i}: TTL 1s + bake 300ms`)
    }
    const aws = sandbox.world.route53.record(zone, name, 'CNAME', 'aws')
    assert.deepEqual(aws?.ResourceRecords, [{ Value: 'alb-123.us-east-1.elb.amazonaws.com' }])
    assert.equal(aws?.TTL, 1)
    assert.deepEqual(checkpoints(dir), [0, 1, 2, 3], 'the start, then each stage once')
    // Each stage's checkpoint keeps the gates' last verdicts, for the report: the bake's evidence outlives the screen.
    for (const e of journalEvents(dir)
      .filter((e) => e.type === 'step-checkpoint')
      .slice(1)) {
      const { gates, gate_reads } = e.data as { gates: string[]; gate_reads: number }
      assert.equal(gates.length, 3, JSON.stringify(gates))
      assert.match(gates[0] as string, new RegExp(`ok-${n}.*OK`))
      assert.ok(gate_reads >= 1)
    }
    assert.equal(journalEvents(dir).filter((e) => e.type === 'undo-recorded').length, 1)
    assert.ok(sandbox.log.of('cloudwatch', 'DescribeAlarms').length > 3, 'gates were read during the bakes')
    assert.ok(sandbox.log.of('route53', 'GetHealthCheckStatus').length > 3)

    const back = await switchyard(dir, ['rollback', '--to', 'start']).done
    assert.equal(back.code, 0, back.stdout + back.stderr)
    assert.deepEqual(weights(), ORIGINAL)
    assert.equal(sandbox.log.of('route53', 'ChangeResourceRecordSets').length, 4, 'restored in one batch')
  })

  test('plan shows a change per stage and run --dry-run sends no mutating call', async () => {
    const dir = workspace(shiftRunbook())
    const plan = await switchyard(dir, ['plan', 'runbook.yaml', '-p', `zone=${zone}`]).done
    assert.equal(plan.code, 0, plan.stdout + plan.stderr)
    assert.match(plan.stdout, /stage 1\/3: onprem 100 -> 90, aws 0 -> 10/)
    assert.match(plan.stdout, /stage 2\/3: onprem 90 -> 50, aws 10 -> 50/)
    assert.match(plan.stdout, /stage 3\/3: onprem 50 -> 0, aws 50 -> 100/)
    const dry = await switchyard(dir, ['run', 'runbook.yaml', '-p', `zone=${zone}`, '--dry-run']).done
    assert.equal(dry.code, 0, dry.stdout + dry.stderr)
    assert.deepEqual(sandbox.log.mutating(), [], 'plan and dry run only read')
    assert.deepEqual(weights(), ORIGINAL)
  })

  test('an alarm turning ALARM mid-bake restores the original weights in one batch within a poll', async () => {
    const alarm = `5xx-${n}`
    sandbox.world.cloudwatch.addAlarm({ name: alarm, state: 'OK', reason: 'fine' })
    // A bake no machine outlasts: the failing gate is what ends it.
    const dir = workspace(shiftRunbook({ bake: '10m', gates: `[{ alarm: ${alarm} }]` }))
    const run = switchyard(dir, ['run', 'runbook.yaml', '-p', `zone=${zone}`])
    await batchesReach(1)
    const alarmReads = () => sandbox.log.of('cloudwatch', 'DescribeAlarms').length
    // The alarm turns once the bake has read it OK at least once, as a real one would mid-bake.
    const readsAtStage = alarmReads()
    await sandbox.log.until(() => alarmReads() > readsAtStage)
    const reason = 'Threshold Crossed: 3 datapoints were greater than the threshold (1.0)'
    sandbox.world.cloudwatch.setAlarm(alarm, 'ALARM', reason)
    const turnedAt = sandbox.log.calls.length
    const result = await run.done
    assert.equal(result.code, 1, result.stdout + result.stderr)
    assert.deepEqual(weights(), ORIGINAL)
    const sent = sandbox.log.of('route53', 'ChangeResourceRecordSets')
    assert.equal(sent.length, 2, 'stage 1, then the restore in one batch')
    assert.deepEqual(batches().map(awsWeightOf), [10, 0])
    const restoredAt = sandbox.log.calls.indexOf(sent[1] as (typeof sandbox.log.calls)[number])
    const readsBetween = sandbox.log.calls
      .slice(turnedAt, restoredAt)
      .filter((c) => c.service === 'cloudwatch' && c.operation === 'DescribeAlarms').length
    console.log(`gate reads between the alarm turning ALARM and the restoring batch: ${readsBetween}`)
    assert.ok(readsBetween <= 1, `the first read after the turn restored the weights (${readsBetween} reads)`)
    assert.match(result.stdout, new RegExp(`alarm ${alarm} is ALARM \\(Threshold Crossed`))
    assert.match(
      result.stdout,
      /restored gift\.zone\d+\.example\.com CNAME to the weights before the shift: onprem 100, aws 0/,
    )
  })

  test('an alarm with INSUFFICIENT_DATA fails closed and restores the weights', async () => {
    const alarm = `nodata-${n}`
    sandbox.world.cloudwatch.addAlarm({ name: alarm })
    const dir = workspace(shiftRunbook({ gates: `[{ alarm: ${alarm} }]` }))
    const run = await switchyard(dir, ['run', 'runbook.yaml', '-p', `zone=${zone}`]).done
    assert.equal(run.code, 1, run.stdout + run.stderr)
    assert.match(run.stdout, new RegExp(`alarm ${alarm} is INSUFFICIENT_DATA`))
    assert.deepEqual(weights(), ORIGINAL)
    assert.deepEqual(batches().map(awsWeightOf), [10, 0])

    sandbox.world.cloudwatch.setAlarm(alarm, 'OK', 'data arrived')
    const resumed = await switchyard(dir, ['resume']).done
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr)
    assert.deepEqual(weights(), { onprem: 0, aws: 100 })
    assert.deepEqual(
      batches().map(awsWeightOf),
      [10, 0, 10, 50, 100],
      'after a rollback, resume starts at stage 1',
    )
    assert.equal(journalEvents(dir).filter((e) => e.type === 'undo-recorded').length, 1)
  })

  test('a failing health check or check step fails the gate with its evidence and restores the weights', async () => {
    const check = sandbox.world.route53.addHealthCheck(`hc-${n}`, false)
    const dir = workspace(shiftRunbook({ gates: `[{ health_check: ${check} }]` }))
    const run = await switchyard(dir, ['run', 'runbook.yaml', '-p', `zone=${zone}`]).done
    assert.equal(run.code, 1, run.stdout + run.stderr)
    assert.match(run.stdout, new RegExp(`health check ${check} unhealthy: \\d+ of \\d+ checkers fail`))
    assert.deepEqual(weights(), ORIGINAL)

    sandbox.world.cloudwatch.addAlarm({ name: `red-${n}`, state: 'ALARM', reason: 'errors' })
    const later = `  - id: after
    steps:
      - id: later-check
        uses: cloudwatch.alarm
        with: { alarms: [red-${n}] }
`
    const stepGate = workspace(shiftRunbook({ gates: '[{ step: later-check }]' }) + later, `step${n}`)
    const gated = await switchyard(stepGate, ['run', 'runbook.yaml', '-p', `zone=${zone}`]).done
    assert.equal(gated.code, 1, gated.stdout + gated.stderr)
    assert.match(gated.stdout, new RegExp(`step later-check failed: alarm red-${n} is ALARM \\(errors\\)`))
    assert.deepEqual(weights(), ORIGINAL)
  })

  test('on_gate_failure: pause holds the weights, and resume goes on from the checkpoint without repeating a stage', async () => {
    const alarm = `pause-${n}`
    sandbox.world.cloudwatch.addAlarm({ name: alarm, state: 'OK', reason: 'fine' })
    const dir = workspace(
      shiftRunbook({
        bake: '1s',
        gates: `[{ alarm: ${alarm} }]`,
        extra: '          on_gate_failure: pause\n',
      }),
    )
    const run = switchyard(dir, ['run', 'runbook.yaml', '-p', `zone=${zone}`])
    await batchesReach(2)
    sandbox.world.cloudwatch.setAlarm(alarm, 'ALARM', 'errors')
    const paused = await run.done
    assert.notEqual(paused.code, 0, paused.stdout + paused.stderr)
    assert.match(paused.stdout, /the shift is held at stage 2\/3 \(.*onprem 50, aws 50\)/)
    assert.deepEqual(weights(), { onprem: 50, aws: 50 }, 'held where it was')
    assert.deepEqual(checkpoints(dir), [0, 1])

    sandbox.world.cloudwatch.setAlarm(alarm, 'OK', 'recovered')
    const resumed = await switchyard(dir, ['resume']).done
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr)
    assert.deepEqual(weights(), { onprem: 0, aws: 100 })
    assert.deepEqual(batches().map(awsWeightOf), [10, 50, 100], 'no stage sent twice')
    assert.deepEqual(checkpoints(dir), [0, 1, 2, 3])
    assert.equal(journalEvents(dir).filter((e) => e.type === 'undo-recorded').length, 1)
  })

  test('resume after kill -9 at random points ends at the final weights with no stage applied twice', async () => {
    const reference = workspace(shiftRunbook(), `ref${n}`)
    const clean = await switchyard(reference, ['run', 'runbook.yaml', '-p', `zone=${zone}`]).done
    assert.equal(clean.code, 0, clean.stdout + clean.stderr)
    const total = journalEvents(reference).length
    const points = new Set<number>()
    while (points.size < Math.min(5, total - 2)) points.add(1 + Math.floor(Math.random() * (total - 1)))
    for (const k of points) {
      const i = ++n
      name = `gift.crash${i}.example.com`
      zone = sandbox.world.route53.addZone({ name: `crash${i}.example.com` }).id
      for (const [id, weight] of Object.entries(ORIGINAL))
        sandbox.world.route53.putRecord(zone, {
          Name: name,
          Type: 'CNAME',
          SetIdentifier: id,
          Weight: weight,
          TTL: 1,
          ResourceRecords: [{ Value: `${id}.example.com` }],
        })
      const dir = workspace(shiftRunbook(), `crash${i}`)
      const killed = await switchyard(dir, ['run', 'runbook.yaml', '-p', `zone=${zone}`], {
        SWITCHYARD_CRASH_AFTER_EVENTS: String(k),
      }).done
      assert.equal(killed.signal, 'SIGKILL', `k=${k}: killed\n${killed.stdout}${killed.stderr}`)
      const unlock = await switchyard(dir, ['unlock', `shift${i}`, '--force']).done
      assert.equal(unlock.code, 0, `k=${k}: ${unlock.stdout}${unlock.stderr}`)
      const resumed = await switchyard(dir, ['resume']).done
      assert.equal(resumed.code, 0, `k=${k}: resume completes\n${resumed.stdout}${resumed.stderr}`)
      assert.deepEqual(weights(), { onprem: 0, aws: 100 }, `k=${k}: final weights`)
      assert.deepEqual(batches().map(awsWeightOf), [10, 50, 100], `k=${k}: each stage sent once`)
      console.log(`crash after event ${k} of ${total}: resumed to the final weights, 3 batches`)
    }
  })

  test('resume after kill -9 mid-bake bakes the applied stage again without re-sending it', async () => {
    // The kill lands 300 ms into a bake long enough for a loaded machine still to be in it.
    const dir = workspace(shiftRunbook({ bake: '3s' }))
    const run = switchyard(dir, ['run', 'runbook.yaml', '-p', `zone=${zone}`])
    await batchesReach(2)
    await delay(300)
    run.child.kill('SIGKILL')
    assert.equal((await run.done).signal, 'SIGKILL')
    assert.deepEqual(checkpoints(dir), [0, 1], 'killed during the stage 2 bake')
    const unlock = await switchyard(dir, ['unlock', `shift${n}`, '--force']).done
    assert.equal(unlock.code, 0, unlock.stdout + unlock.stderr)
    const resumed = await switchyard(dir, ['resume']).done
    assert.equal(resumed.code, 0, resumed.stdout + resumed.stderr)
    assert.deepEqual(weights(), { onprem: 0, aws: 100 })
    assert.deepEqual(batches().map(awsWeightOf), [10, 50, 100], 'stage 2 was not sent twice')
    assert.deepEqual(checkpoints(dir), [0, 1, 2, 3])
  })

  test('a runbook with stages that do not increase, from = to, or a gate naming no step is refused at load', async () => {
    const dir = workspace(
      shiftRunbook({ stages: '[50, 10]', gates: '[{ step: nowhere }]' }).replace('to: aws', 'to: onprem'),
    )
    const run = await switchyard(dir, ['validate', 'runbook.yaml']).done
    assert.equal(run.code, 2, run.stdout + run.stderr)
    assert.match(run.stderr, /stages are percents on `to` that strictly increase/)
    assert.match(run.stderr, /from and to name the same record/)
    const gate = workspace(shiftRunbook({ gates: '[{ step: nowhere }]' }), `gate${n}`)
    const refused = await switchyard(gate, ['validate', 'runbook.yaml']).done
    assert.equal(refused.code, 2, refused.stdout + refused.stderr)
    assert.match(refused.stderr, /no step has the id 'nowhere'/)
  })
})

const alarmRunbook = (alarms: string, extra = '') => `version: 1
name: alarms${n}
phases:
  - id: check
    steps:
      - id: gate
        uses: cloudwatch.alarm
        with: { alarms: ${alarms}${extra} }
`

describe('cloudwatch.alarm', () => {
  test('passes when every alarm is OK and outputs their states', async () => {
    sandbox.world.cloudwatch.addAlarm({ name: `a-${n}`, state: 'OK' })
    sandbox.world.cloudwatch.addAlarm({ name: `b-${n}`, state: 'INSUFFICIENT_DATA' })
    const dir = workspace(alarmRunbook(`[a-${n}, b-${n}]`, ', missing: ok'))
    const run = await switchyard(dir, ['run', 'runbook.yaml']).done
    assert.equal(run.code, 0, run.stdout + run.stderr)
    const applied = journalEvents(dir).find((e) => e.type === 'step-applied' && e.step === 'gate')
    assert.deepEqual(applied?.outputs, { states: { [`a-${n}`]: 'OK', [`b-${n}`]: 'INSUFFICIENT_DATA' } })
    assert.deepEqual(sandbox.log.mutating(), [])
  })

  test('fails naming an alarm in ALARM with its reason, and an alarm that does not exist', async () => {
    sandbox.world.cloudwatch.addAlarm({
      name: `red-${n}`,
      state: 'ALARM',
      reason: 'Threshold Crossed: 5 > 1',
    })
    const dir = workspace(alarmRunbook(`[red-${n}, ghost-${n}]`))
    const run = await switchyard(dir, ['run', 'runbook.yaml']).done
    assert.equal(run.code, 1, run.stdout + run.stderr)
    assert.match(run.stdout, new RegExp(`alarm red-${n} is ALARM \\(Threshold Crossed: 5 > 1\\)`))
    assert.match(run.stdout, new RegExp(`alarm ghost-${n} does not exist`))
  })

  test('is a wait until: target that passes once the alarm turns OK', async () => {
    const alarm = `late-${n}`
    sandbox.world.cloudwatch.addAlarm({ name: alarm })
    const dir = workspace(`version: 1
name: waits${n}
phases:
  - id: hold
    steps:
      - id: settle
        uses: wait
        with: { until: gate, interval: 100ms }
  - id: check
    steps:
      - id: gate
        uses: cloudwatch.alarm
        with: { alarms: [${alarm}] }
`)
    const running = switchyard(dir, ['run', 'runbook.yaml']).done
    // It turns OK as the second read arrives: the first one has been answered INSUFFICIENT_DATA.
    await sandbox.log.seen('cloudwatch', 'DescribeAlarms', 2)
    sandbox.world.cloudwatch.setAlarm(alarm, 'OK', 'recovered')
    const run = await running
    assert.equal(run.code, 0, run.stdout + run.stderr)
    const applied = journalEvents(dir).find((e) => e.type === 'step-applied' && e.step === 'settle')
    assert.ok(
      ((applied?.outputs as { attempts?: number } | undefined)?.attempts ?? 0) > 1,
      'it waited for the alarm',
    )
  })
})
