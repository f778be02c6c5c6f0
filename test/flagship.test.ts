// The flagship runbook, runbooks/giftcard-cutover.yaml, end to end through the built CLI against the demo
// platform. The platform runs in this process (on free ports, so other test files may use the fixed ones),
// and the CLI reaches it through `sandbox env`'s variables: one world lives across run, status and rollback.
import assert from 'node:assert/strict'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { DEMO_PLATFORM_AWS } from '../src/sandbox/aws/demo-world.ts'
import { DEMO_PLATFORM, type DemoPlatform, startDemoPlatform } from '../src/sandbox/demo-platform.ts'
import {
  describeDifferences,
  diffWorlds,
  snapshotWorld,
  type WorldSnapshot,
} from '../src/sandbox/world-snapshot.ts'
import { root, startSwitchyard, tempDir } from './helpers/cli.ts'
import { flagshipOverrides } from './helpers/flagship.ts'

const scratch = tempDir('flagship')
let platform: DemoPlatform
/** The whole world before the first run: every rollback to start must return to exactly this. */
let pristine: WorldSnapshot

before(async () => {
  platform = await startDemoPlatform({ fixedPorts: false, seedingBytesPerSecond: 2 * 1024 ** 3 })
  pristine = await snapshotWorld(platform)
})
after(async () => {
  await platform?.close()
  scratch.cleanup()
})

const runbook = join(root, 'runbooks', 'giftcard-cutover.yaml')
const sandboxParams = join(root, 'runbooks', 'params', 'giftcard-cutover.sandbox.yaml')

const overrides = (on: DemoPlatform = platform) => flagshipOverrides(on)

const eventsOf = (stdout: string) =>
  stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line))

// Not spawnSync: the platform answers from this process's event loop, which must keep turning.
const cli = (args: string[]) => startSwitchyard(scratch.dir, args, { ...platform.env, AWS_PROFILE: '' }).done

const weights = () => platform.aws.world.route53.weights(DEMO_PLATFORM.zone, 'www.gift.example', 'CNAME')
const primary = () => {
  const group = platform.sql.world.group('AG-GIFTCARD')
  assert.ok(group)
  return platform.sql.world.primaryOf(group).server
}
const suspended = () =>
  Object.keys(
    platform.aws.world.autoscaling.group(DEMO_PLATFORM_AWS.webAutoScalingGroup)?.suspended ?? {},
  ).sort()
const replicas = () =>
  platform.sql.world
    .group('AG-GIFTCARD')
    ?.replicas.map((r) => r.server)
    .sort()

describe('the flagship runbook against the demo platform', () => {
  let runId = ''

  test('a dry run rehearses every phase and changes nothing anywhere', async () => {
    const result = await cli([
      'run',
      runbook,
      '--params',
      sandboxParams,
      ...overrides(),
      '--dry-run',
      '--json',
    ])
    assert.equal(result.code, 0, result.stdout.slice(-3000) + result.stderr)
    const events = eventsOf(result.stdout)
    const rehearsed = events.filter((e) => e.type === 'step-rehearsed').map((e) => e.step)
    assert.equal(rehearsed.length + (platform.ldap ? 0 : 2), 18, `rehearsed: ${rehearsed.join(', ')}`)
    // The read-only checks ran against today's world; the replica's sync waits for the steps that add it.
    const checks = Object.fromEntries(
      events.filter((e) => e.type === 'step-rehearsed' && e.check).map((e) => [e.step, e.check]),
    )
    for (const step of [
      'web-ready',
      'alarms-ok',
      'lb-targets',
      'web-asg',
      'patches',
      'sql-preflight',
      'iis-health',
      'hold-web-asg',
    ])
      assert.equal(checks[step]?.result, 'passes', `${step}: ${JSON.stringify(checks[step])}`)
    assert.equal(checks['sql-sync']?.result, 'after', JSON.stringify(checks['sql-sync']))
    assert.ok(checks['sql-sync'].steps.includes('replicate.add-replica'), JSON.stringify(checks['sql-sync']))
    assert.equal(primary(), 'SQL-ONPREM-1')
    assert.deepEqual(replicas(), ['SQL-ONPREM-1', 'SQL-ONPREM-2'])
    assert.deepEqual(weights(), { onprem: 100, aws: 0 })
    assert.deepEqual(platform.aws.world.sns.messages, [])
    assert.deepEqual(suspended(), [], 'the dry run suspended nothing')
  })

  test('runs every phase: SQL-AWS-1 becomes primary and customers are all on AWS', async () => {
    const result = await cli(['run', runbook, '--params', sandboxParams, ...overrides(), '--yes', '--json'])
    assert.equal(result.code, 0, result.stdout.slice(-3000) + result.stderr)
    const events = eventsOf(result.stdout)
    const completed = events.filter((e) => e.type === 'phase-completed').map((e) => e.phase)
    assert.deepEqual(completed, ['preflight', 'replicate', 'verify', 'traffic', 'finalize'])
    const skipped = events.filter((e) => e.type === 'step-skipped').map((e) => e.step)
    assert.deepEqual(skipped, platform.ldap ? [] : ['ad-sync', 'ad-check'])
    runId = events.find((e) => e.type === 'run-started')?.runId ?? ''
    assert.equal(primary(), 'SQL-AWS-1')
    assert.deepEqual(weights(), { onprem: 0, aws: 100 })
    assert.deepEqual(replicas(), ['SQL-AWS-1', 'SQL-ONPREM-1', 'SQL-ONPREM-2'])
    assert.deepEqual(suspended(), ['AZRebalance', 'ReplaceUnhealthy'], 'the web tier held for the window')
    assert.deepEqual(
      platform.aws.world.sns.messages.map((m) => m.subject),
      ['gift-card cutover complete'],
    )
  })

  test('status shows the run completed, finalize past the point of no return', async () => {
    const status = await cli(['status', '--json'])
    assert.equal(status.code, 0, status.stderr)
    assert.match(status.stdout, /"completed"/)
    assert.match(status.stdout, /finalize/)
    // The sandbox's DCs speak StartTLS with the sandbox's CA: no step warns about plain LDAP.
    const { warnings } = JSON.parse(status.stdout) as { warnings: string[] }
    assert.deepEqual(
      warnings.filter((w) => /plain LDAP/.test(w)),
      [],
    )
  })

  test('rollback --to start fails SQL back, restores the weights and removes the replica', async () => {
    assert.ok(runId)
    const result = await cli(['rollback', runId, '--to', 'start', '--force', '--yes'])
    assert.equal(result.code, 0, result.stdout.slice(-3000) + result.stderr)
    assert.equal(primary(), 'SQL-ONPREM-1')
    assert.deepEqual(weights(), { onprem: 100, aws: 0 })
    assert.deepEqual(replicas(), ['SQL-ONPREM-1', 'SQL-ONPREM-2'])
    assert.deepEqual(suspended(), [], 'rollback resumed the processes the run suspended')
    assert.deepEqual(
      platform.sql.world.group('AG-GIFTCARD')?.listener?.ips.map((i) => i.ip),
      ['10.10.1.50'],
      'the listener IP in the AWS subnet is removed through the cluster',
    )
  })

  test('status after the rollback shows what the undone steps output as undone, and no phase with old times', async () => {
    const text = await cli(['status', runId])
    assert.match(text.stdout, /^ {6}primary: SQL-AWS-1 \(undone\)$/m)
    assert.match(text.stdout, /^ {6}weights: \{.*"aws":100.*\} \(undone\)$/m)
    assert.doesNotMatch(text.stdout, /^ {6}primary: SQL-AWS-1$/m)
    const state = JSON.parse((await cli(['status', runId, '--json'])).stdout)
    assert.equal(state.steps.failover.outputs, undefined)
    assert.equal(state.steps.failover.undoneOutputs.primary, 'SQL-AWS-1')
    for (const phase of ['preflight', 'replicate', 'verify', 'traffic', 'finalize'])
      assert.deepEqual(state.phases[phase], { status: 'pending' }, phase)
  })

  test('after rollback --to start the whole world is as it was before the run, but for what rollback keeps', async () => {
    const diff = diffWorlds(pristine, await snapshotWorld(platform))
    assert.deepEqual(describeDifferences(diff.differences), [])
    const kept = diff.kept.map((k) => k.path)
    for (const path of ['/sql/backupFiles', '/aws/sns/messages'])
      assert.ok(kept.includes(path), `kept: ${kept.join(', ')}`)
    if (platform.ldap)
      assert.ok(
        kept.some((path) => path.includes('cn=switchyard-canary')),
        'the canary value ad.sync wrote is kept, and said so',
      )
  })

  test('the rehearsal can be repeated: the flagship runs again after the rollback, and rolls back again', async () => {
    // The CI log this time: every milestone on a line of its own, however close together.
    const again = await cli(['run', runbook, '--params', sandboxParams, ...overrides(), '--yes'])
    assert.equal(again.code, 0, again.stdout.slice(-3000) + again.stderr)
    for (const stage of [1, 2, 3]) {
      assert.match(again.stdout, new RegExp(`traffic\\.shift stage ${stage}/3: onprem`))
      assert.match(
        again.stdout,
        new RegExp(`traffic\\.shift stage ${stage}/3 baked: gate verdicts: alarm giftcard-5xx is OK`),
      )
    }
    for (const db of ['GiftCard', 'GiftCardAudit', 'GiftCardReports']) {
      // A seed the replica finished before the step first looked (a busy machine) has its end and no start.
      const lines = again.stdout.match(new RegExp(`replicate\\.seed(-reports)? ${db}: .*`, 'g')) ?? []
      assert.ok(
        lines.length >= 1 && lines.length <= 2,
        `${db}: its seed's start and end: ${lines.join(' | ')}`,
      )
      assert.match(lines.at(-1) ?? '', /SYNCHRONIZ(ED|ING) on SQL-AWS-1/, `${db}: its seed's end`)
    }
    if (platform.ldap)
      assert.match(again.stdout, /replicate\.ad-sync canary seen on dc-aws \(.*\) after [\d.]+ ms/)
    const second = again.stdout.match(/run (\S+) started by/)?.[1]
    assert.ok(second && second !== runId)
    assert.equal(primary(), 'SQL-AWS-1')
    assert.deepEqual(weights(), { onprem: 0, aws: 100 })

    const back = await cli(['rollback', second, '--to', 'start', '--force', '--yes'])
    assert.equal(back.code, 0, back.stdout.slice(-3000) + back.stderr)
    assert.deepEqual(describeDifferences(diffWorlds(pristine, await snapshotWorld(platform)).differences), [])
  })
})

describe('the flagship where no directory server can run (slapd not installed)', () => {
  let bare: DemoPlatform
  const dir = tempDir('flagship-bare')
  before(async () => {
    bare = await startDemoPlatform({
      fixedPorts: false,
      withoutLdap: true,
      seedingBytesPerSecond: 2 * 1024 ** 3,
    })
  })
  after(async () => {
    await bare?.close()
    dir.cleanup()
  })

  test('runs, skipping the LDAP checks and saying why, and their gate stands down', async () => {
    const result = await startSwitchyard(
      dir.dir,
      ['run', runbook, '--params', sandboxParams, ...overrides(bare), '--yes'],
      {
        ...bare.env,
        AWS_PROFILE: '',
      },
    ).done
    assert.equal(result.code, 0, result.stdout.slice(-3000) + result.stderr)
    assert.equal(bare.env.SWITCHYARD_SANDBOX_LDAP, 'off')
    for (const step of ['replicate.ad-sync', 'verify.ad-check'])
      assert.match(
        result.stdout,
        new RegExp(`${step} skipped: condition was false \\(env\\.SWITCHYARD_SANDBOX_LDAP is 'off'\\)\n`),
      )
    assert.doesNotMatch(result.stdout, /\$\{\{/)
    // The shift is gated on ad-check too: had that gate tried LDAP, the shift would have rolled back.
    assert.match(
      result.stdout,
      /traffic\.shift stage 1\/3 baked: gate verdicts: .*step ad-check stands down \(skipped: env\.SWITCHYARD_SANDBOX_LDAP is 'off'\)/,
    )
    assert.doesNotMatch(result.stdout, /step ad-check passes/)
    assert.match(result.stdout, /traffic\.shift applied/)
    assert.equal(bare.sql.world.primaryOf(bare.sql.world.group('AG-GIFTCARD') as never).server, 'SQL-AWS-1')
  })
})
