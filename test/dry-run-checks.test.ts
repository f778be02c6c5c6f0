// A dry run and `plan` read every read-only check against the world as it is, and say which would
// fail today: an alarm in ALARM and an unhealthy web server are found before the night, not during it.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import type { IisSandbox } from '../src/sandbox/windows/iis.ts'
import { useAwsSandbox } from './helpers/aws-sandbox.ts'
import { startWebTier } from './helpers/web-tier.ts'

const aws = useAwsSandbox('dry-run-checks')
const alarm = 'giftcard-5xx-dry'
let iis: IisSandbox
let topic = ''
let zone = ''
const record = 'www.dry.example.com'
const ids: string[] = []

/** The sandbox's world for every test here: the AWS stand-in, and IIS health endpoints on two instances. */
async function buildWorld() {
  const tier = await startWebTier(aws.sandbox.world, [41, 42], 'dry-web', 'GiftCard')
  iis = tier.iis
  ids.push(...tier.ids)
  topic = aws.sandbox.world.sns.addTopic('dry-run-checks')
  zone = aws.sandbox.world.route53.addZone({ name: 'dry.example.com' }).id
  for (const [id, weight] of [
    ['onprem', 100],
    ['aws', 0],
  ] as const)
    aws.sandbox.world.route53.putRecord(zone, {
      Name: record,
      Type: 'CNAME',
      SetIdentifier: id,
      Weight: weight,
      TTL: 60,
      ResourceRecords: [{ Value: `${id}.lb.example.com` }],
    })
}

const runbook = () => `version: 1
name: dry-checks
targets:
  aws-web: { ec2: { tags: { Role: dry-web } } }
phases:
  - id: preflight
    steps:
      - id: alarms-ok
        uses: cloudwatch.alarm
        with: { alarms: [${alarm}] }
      - id: web-health
        uses: iis.health
        with:
          hosts: "\${{ targets.aws-web.hosts }}"
          url: "http://{host}:${iis.port}/health"
          expect: { status: 200, json: { status: Healthy } }
          server_side: { instances: "\${{ targets.aws-web.instances }}", app_pools: [GiftCard] }
  - id: traffic
    steps:
      - id: tell
        uses: sns.notify
        with: { topic: ${topic}, subject: cutover started, message: the cutover has started }
      - id: shift
        uses: route53.shift
        needs: [tell]
        with:
          { zone: ${zone}, record: { name: ${record}, type: CNAME }, from: onprem, to: aws, stages: [50, 100], bake: 1s,
            gates: [{ alarm: ${alarm} }, { step: web-health }] }
`

function badWorld() {
  aws.sandbox.world.cloudwatch.setAlarm(alarm, 'ALARM', 'Threshold Crossed: 5xx rate 4.2% > 1%')
  iis.setHealth(ids[1] as string, 'unhealthy')
}

function goodWorld() {
  aws.sandbox.world.cloudwatch.setAlarm(alarm, 'OK', 'fine')
  iis.setHealth(ids[1] as string, 'healthy')
}

describe('a dry run runs every read-only check and reports what would fail today', () => {
  before(buildWorld)
  after(() => iis?.close())

  test('run --dry-run with an alarm in ALARM and an unhealthy web server exits 1 naming both, changing nothing', async () => {
    badWorld()
    const dir = aws.workspace(runbook())
    const before = aws.sandbox.log.mutating().length
    const dry = await aws.switchyard(dir, ['run', 'runbook.yaml', '--dry-run'])
    const out = dry.stdout + dry.stderr
    assert.equal(dry.code, 1, out)
    assert.match(
      out,
      /preflight\.alarms-ok rehearsed; would fail today: alarm giftcard-5xx-dry is ALARM \(Threshold Crossed: 5xx rate 4\.2% > 1%\)/,
    )
    assert.match(out, /preflight\.web-health rehearsed; would fail today: not healthy: 127\.0\.1\.42/)
    assert.match(out, /traffic\.tell planned:/, 'the rehearsal goes on past a failing check')
    assert.match(
      out,
      /traffic\.shift rehearsed; would fail today: gate failing: alarm giftcard-5xx-dry is ALARM/,
    )
    assert.match(
      out,
      /dry run complete: nothing was changed, but 3 of 3 check\(s\) would fail today: preflight\.alarms-ok, preflight\.web-health, traffic\.shift/,
    )
    assert.deepEqual(aws.sandbox.world.route53.weights(zone, record, 'CNAME'), { onprem: 100, aws: 0 })
    assert.equal(aws.sandbox.log.mutating().length, before, 'no mutating AWS call')
    assert.equal(aws.sandbox.world.sns.messages.length, 0)
  })

  test('the same dry run against a healthy world exits 0 and says the checks pass', async () => {
    goodWorld()
    const dir = aws.workspace(runbook())
    const dry = await aws.switchyard(dir, ['run', 'runbook.yaml', '--dry-run'])
    const out = dry.stdout + dry.stderr
    assert.equal(dry.code, 0, out)
    assert.match(out, /preflight\.alarms-ok rehearsed; check passes today/)
    assert.match(out, /preflight\.web-health rehearsed; check passes today/)
    assert.match(out, /traffic\.shift rehearsed; check passes today/)
    assert.match(out, /dry run complete: nothing was changed; 3 check\(s\) pass today/)
  })

  test('--json carries each verdict on the step-rehearsed event', async () => {
    badWorld()
    const dir = aws.workspace(runbook())
    const dry = await aws.switchyard(dir, ['run', 'runbook.yaml', '--dry-run', '--json'])
    assert.equal(dry.code, 1, dry.stderr)
    const events = dry.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line))
    const verdicts = Object.fromEntries(
      events.filter((e) => e.type === 'step-rehearsed').map((e) => [e.step, e.check?.result ?? 'none']),
    )
    assert.deepEqual(verdicts, {
      'alarms-ok': 'would-fail',
      'web-health': 'would-fail',
      tell: 'none',
      shift: 'would-fail',
    })
  })

  test('plan marks each failing check under its step, counts them, and exits 1', async () => {
    badWorld()
    const dir = aws.workspace(runbook())
    const plan = await aws.switchyard(dir, ['plan', 'runbook.yaml'])
    assert.equal(plan.code, 1, plan.stdout + plan.stderr)
    assert.match(plan.stdout, /^ {2}✗ alarms-ok: would fail today: alarm giftcard-5xx-dry is ALARM/m)
    assert.match(plan.stdout, /^ {2}✗ web-health: would fail today: not healthy: 127\.0\.1\.42/m)
    assert.match(plan.stdout, /^ {2}~ tell: publish to /m)
    assert.match(
      plan.stdout,
      /^ {2}✗ shift: would fail today: gate failing: alarm giftcard-5xx-dry is ALARM/m,
    )
    assert.match(plan.stdout, /3 check\(s\) read today: 0 pass, 3 would fail, 0 cannot be checked before/)
    assert.match(plan.stderr, /3 of 3 check\(s\) would fail today/)
  })

  test('plan --json lists each check beside the saved plan, and the saved plan holds none', async () => {
    badWorld()
    const dir = aws.workspace(runbook())
    const plan = await aws.switchyard(dir, ['plan', 'runbook.yaml', '--json', '--out', 'saved.json'])
    assert.equal(plan.code, 1, plan.stderr)
    const report = JSON.parse(plan.stdout)
    assert.equal(report.checks['alarms-ok'].result, 'would-fail')
    assert.match(report.checks['alarms-ok'].reason, /alarm giftcard-5xx-dry is ALARM/)
    assert.equal(report.outcome.exitCode, 1)
    assert.equal(JSON.parse(readFileSync(join(dir, 'saved.json'), 'utf8')).checks, undefined)
  })
})
