import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { ChangeResourceRecordSetsCommand, ListResourceRecordSetsCommand } from '@aws-sdk/client-route-53'
import { AwsClients, DryRunViolation } from '../src/clients/aws.ts'
import { stepScope } from '../src/clients/step-scope.ts'
import { resolveSecrets } from '../src/engine/secrets.ts'
import type { Runbook } from '../src/runbook/model.ts'
import { type AwsSandbox, startAwsSandbox } from '../src/sandbox/aws/index.ts'

let sandbox: AwsSandbox
let aws: AwsClients
let zoneId: string

before(async () => {
  sandbox = await startAwsSandbox()
  process.env.AWS_ACCESS_KEY_ID = 'sandbox'
  process.env.AWS_SECRET_ACCESS_KEY = 'sandbox'
  aws = new AwsClients({ region: 'us-east-1', endpoint: sandbox.url })
  zoneId = sandbox.world.route53.addZone({ name: 'example.com' }).id
  sandbox.world.route53.putRecord(zoneId, {
    Name: 'gift.example.com',
    Type: 'CNAME',
    SetIdentifier: 'onprem',
    Weight: 100,
    TTL: 60,
    ResourceRecords: [{ Value: 'lb.onprem.example.com' }],
  })
})

after(async () => {
  await aws.destroy()
  await sandbox.close()
})

const upsert = () =>
  new ChangeResourceRecordSetsCommand({
    HostedZoneId: zoneId,
    ChangeBatch: {
      Changes: [
        {
          Action: 'UPSERT',
          ResourceRecordSet: {
            Name: 'gift.example.com',
            Type: 'CNAME',
            SetIdentifier: 'onprem',
            Weight: 90,
            TTL: 60,
            ResourceRecords: [{ Value: 'lb.onprem.example.com' }],
          },
        },
      ],
    },
  })

const scope = (dryRun: boolean, progress: string[] = []) => ({
  step: 'traffic.shift',
  dryRun,
  progress: (m: string) => progress.push(m),
})

describe('the dry-run guard', () => {
  test('refuses a mutating call in a dry run, naming the step and operation, and sends nothing', async () => {
    const route53 = await aws.route53()
    const before = sandbox.log.calls.length
    await assert.rejects(
      stepScope.run(scope(true), () => route53.send(upsert())),
      (error: unknown) =>
        error instanceof DryRunViolation &&
        /step traffic\.shift tried ChangeResourceRecordSets/.test(error.message),
    )
    assert.equal(sandbox.log.calls.length, before, 'no request reached AWS')
  })

  test('lets reads through in a dry run, and everything through in a real run', async () => {
    const route53 = await aws.route53()
    const read = await stepScope.run(scope(true), () =>
      route53.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId })),
    )
    assert.ok(read.ResourceRecordSets?.some((r) => r.SetIdentifier === 'onprem'))
    await stepScope.run(scope(false), () => route53.send(upsert()))
    assert.equal(sandbox.world.route53.weights(zoneId, 'gift.example.com', 'CNAME').onprem, 90)
  })
})

describe('retries', () => {
  test('throttling is retried with backoff and reported as the step progress', async () => {
    const route53 = await aws.route53()
    sandbox.faults.add({
      service: 'route53',
      operation: 'ChangeResourceRecordSets',
      kind: 'throttle',
      times: 2,
    })
    const progress: string[] = []
    await stepScope.run(scope(false, progress), () => route53.send(upsert()))
    const attempts = sandbox.log.calls.filter((c) => c.operation === 'ChangeResourceRecordSets').slice(-3)
    assert.deepEqual(
      attempts.map((c) => c.status),
      [400, 400, 200],
    )
    assert.equal(progress.length, 2)
    assert.match(progress[0] ?? '', /throttled or busy, retrying in \d+\.\ds/)
  })

  test('a persistent failure ends in an error naming the AWS error code', async () => {
    const route53 = await aws.route53()
    sandbox.faults.add({
      service: 'route53',
      operation: 'ChangeResourceRecordSets',
      kind: 'server-error',
      times: 20,
    })
    await assert.rejects(
      stepScope.run(scope(false), () => route53.send(upsert())),
      (error: Error & { $metadata?: { attempts?: number } }) =>
        /InternalFailure|ServiceUnavailable/.test(error.name) &&
        /^Route 53 ChangeResourceRecordSets failed after 6 attempts: (InternalFailure|ServiceUnavailable): /.test(
          error.message,
        ),
    )
  })
})

describe('ssm secrets', () => {
  const runbook = (from: string) => ({ secrets: { sqlPassword: { from } } }) as unknown as Runbook

  test('an ssm:/ secret is read decrypted', async () => {
    sandbox.world.ssm.putParameter('/giftcard/sql/password', 'pa55-w0rd-canary', { type: 'SecureString' })
    const secrets = await resolveSecrets(runbook('ssm:/giftcard/sql/password'), '.', aws)
    assert.equal(secrets.sqlPassword, 'pa55-w0rd-canary')
    const call = sandbox.log.calls.find((c) => c.operation === 'GetParameter')
    assert.equal((call?.params as { WithDecryption?: boolean } | undefined)?.WithDecryption, true)
  })

  test('a missing parameter names the secret, the path and the region', async () => {
    await assert.rejects(
      resolveSecrets(runbook('ssm:/nope'), '.', aws),
      /secret 'sqlPassword': SSM parameter \/nope does not exist in us-east-1/,
    )
  })
})
