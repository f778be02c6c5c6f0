import assert from 'node:assert/strict'
import { beforeEach, describe, test } from 'node:test'
import { useAwsSandbox } from './helpers/aws-sandbox.ts'
import { journalEvents } from './helpers/cli.ts'

const aws = useAwsSandbox('route53')
let zone: string
let n = 0

beforeEach(() => {
  zone = aws.sandbox.world.route53.addZone({ name: `zone${++n}.example.com` }).id
  for (const [id, weight, target] of [
    ['onprem', 100, 'lb.onprem.example.com'],
    ['aws', 0, 'alb-123.us-east-1.elb.amazonaws.com'],
  ] as const)
    aws.sandbox.world.route53.putRecord(zone, {
      Name: `gift.zone${n}.example.com`,
      Type: 'CNAME',
      SetIdentifier: id,
      Weight: weight,
      TTL: 60,
      HealthCheckId: undefined,
      ResourceRecords: [{ Value: target }],
    })
  aws.sandbox.log.clear()
  aws.sandbox.faults.clear()
})

const runbook = (weights: string) => `version: 1
name: shift
params: { zone: { required: true } }
phases:
  - id: traffic
    steps:
      - id: weights
        uses: route53.weights
        with:
          zone: "\${{ params.zone }}"
          record: { name: gift.zone${n}.example.com, type: CNAME }
          weights: ${weights}
`

const switchyard = (dir: string, args: string[]) => aws.switchyard(dir, args)
const workspace = (text: string) => aws.workspace(text)

describe('route53.weights', () => {
  test('plan shows the weight changes and makes no mutating call', async () => {
    const dir = workspace(runbook('{ onprem: 90, aws: 10 }'))
    const plan = await switchyard(dir, ['plan', 'runbook.yaml', '-p', `zone=${zone}`])
    assert.equal(plan.code, 0, plan.stdout + plan.stderr)
    assert.match(plan.stdout, /~ weights: gift\.zone\d+\.example\.com CNAME: onprem 100 -> 90, aws 0 -> 10/)
    const dry = await switchyard(dir, ['run', 'runbook.yaml', '-p', `zone=${zone}`, '--dry-run'])
    assert.equal(dry.code, 0, dry.stdout + dry.stderr)
    assert.deepEqual(aws.sandbox.log.mutating(), [], 'plan and dry run only read')
  })

  test('a run changes every weight in one batch, keeping the other fields, and rollback restores them in one', async () => {
    const dir = workspace(runbook('{ onprem: 90, aws: 10 }'))
    const run = await switchyard(dir, ['run', 'runbook.yaml', '-p', `zone=${zone}`])
    assert.equal(run.code, 0, run.stdout + run.stderr)
    const name = `gift.zone${n}.example.com`
    assert.deepEqual(aws.sandbox.world.route53.weights(zone, name, 'CNAME'), { onprem: 90, aws: 10 })
    assert.equal(aws.sandbox.log.of('route53', 'ChangeResourceRecordSets').length, 1, 'one batch')
    const awsRecord = aws.sandbox.world.route53.record(zone, name, 'CNAME', 'aws')
    assert.equal(awsRecord?.TTL, 60)
    assert.deepEqual(awsRecord?.ResourceRecords, [{ Value: 'alb-123.us-east-1.elb.amazonaws.com' }])
    assert.ok(journalEvents(dir).some((e) => e.type === 'undo-recorded' && e.step === 'weights'))
    const started = journalEvents(dir).find((e) => e.type === 'run-started')
    assert.match(
      String(started?.awsIdentity),
      /^arn:aws:(iam|sts)::\d{12}:/,
      'the AWS identity is journaled at run start',
    )

    const back = await switchyard(dir, ['rollback', '--to', 'start'])
    assert.equal(back.code, 0, back.stdout + back.stderr)
    assert.deepEqual(aws.sandbox.world.route53.weights(zone, name, 'CNAME'), { onprem: 100, aws: 0 })
    assert.equal(aws.sandbox.log.of('route53', 'ChangeResourceRecordSets').length, 2, 'restored in one batch')
  })

  test('an unknown SetIdentifier fails naming the ones that exist, and changes nothing', async () => {
    const dir = workspace(runbook('{ onprem: 90, azure: 10 }'))
    const run = await switchyard(dir, ['run', 'runbook.yaml', '-p', `zone=${zone}`])
    assert.equal(run.code, 1)
    assert.match(run.stdout, /has no weighted record 'azure'/)
    assert.match(run.stdout, /its SetIdentifiers: onprem, aws|its SetIdentifiers: aws, onprem/)
    assert.deepEqual(aws.sandbox.log.mutating(), [])
  })

  test('throttling and 5xx on the change are retried and the run succeeds', async () => {
    const dir = workspace(runbook('{ onprem: 90, aws: 10 }'))
    aws.sandbox.faults.add({
      service: 'route53',
      operation: 'ChangeResourceRecordSets',
      kind: 'throttle',
      times: 2,
    })
    aws.sandbox.faults.add({
      service: 'route53',
      operation: 'ChangeResourceRecordSets',
      kind: 'server-error',
      times: 1,
    })
    const run = await switchyard(dir, ['run', 'runbook.yaml', '-p', `zone=${zone}`])
    assert.equal(run.code, 0, run.stdout + run.stderr)
    assert.deepEqual(
      aws.sandbox.log.of('route53', 'ChangeResourceRecordSets').map((c) => c.status),
      [400, 400, 500, 200],
    )
    assert.match(run.stdout, /throttled or busy, retrying in/)
  })

  test('a persistent failure names the operation and the last AWS error code', async () => {
    const dir = workspace(runbook('{ onprem: 90, aws: 10 }'))
    aws.sandbox.faults.add({
      service: 'route53',
      operation: 'ChangeResourceRecordSets',
      kind: 'server-error',
      times: 50,
    })
    const run = await switchyard(dir, ['run', 'runbook.yaml', '-p', `zone=${zone}`])
    assert.equal(run.code, 1)
    assert.match(run.stdout, /Route 53 ChangeResourceRecordSets failed after 6 attempts: InternalFailure/)
    assert.deepEqual(aws.sandbox.world.route53.weights(zone, `gift.zone${n}.example.com`, 'CNAME'), {
      onprem: 100,
      aws: 0,
    })
  })

  test('all weights 0 is refused when the runbook loads, unless allow_all_zero', async () => {
    const dir = workspace(runbook('{ onprem: 0, aws: 0 }'))
    const run = await switchyard(dir, ['validate', 'runbook.yaml'])
    assert.equal(run.code, 2)
    assert.match(run.stderr, /every weight is 0/)
  })
})
