// The S3 lease against the sandbox's S3 with the real client: taken with If-None-Match, renewed with
// If-Match, broken on purpose, and its old holder fenced by the renewal that S3 refuses.
import assert from 'node:assert/strict'
import { hostname } from 'node:os'
import { after, before, test } from 'node:test'
import { AwsClients } from '../src/clients/aws.ts'
import { LeaseLostError } from '../src/engine/lease.ts'
import type { LockHolder } from '../src/engine/lock.ts'
import { acquireS3Lease, S3LockHeldError } from '../src/engine/state-store/s3-lease.ts'
import { StateObjects } from '../src/engine/state-store/s3-objects.ts'
import { type AwsSandbox, startAwsSandbox } from '../src/sandbox/aws/index.ts'

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

let sandbox: AwsSandbox
let aws: AwsClients
before(async () => {
  sandbox = await startAwsSandbox()
  sandbox.world.s3.createBucket('leases')
  process.env.AWS_ACCESS_KEY_ID = 'sandbox'
  process.env.AWS_SECRET_ACCESS_KEY = 'sandbox'
  aws = new AwsClients({ region: 'us-east-1', endpoint: sandbox.url })
})
after(async () => {
  await aws.destroy()
  await sandbox.close()
})

const objects = () => new StateObjects({ bucket: 'leases', prefix: 'team', url: 's3://leases/team' }, aws)
// A pid that is not this process's: the holders are "other processes", alive as far as the lock can tell.
const holder = (pid: number): LockHolder => ({
  operator: 'ana',
  host: `${hostname()}-elsewhere`,
  pid,
  runId: 'R1',
  runbook: 'team',
  since: new Date().toISOString(),
})

test('a broken lease fences its old holder at its next renewal (412); only the new holder gives the lock back', async () => {
  process.env.SWITCHYARD_LEASE_TTL = '1'
  const old = holder(101)
  const first = await acquireS3Lease(objects(), old)
  assert.equal(first.epoch, 1)
  await assert.rejects(acquireS3Lease(objects(), holder(202)), S3LockHeldError, 'held while it is renewed')

  sandbox.log.clear()
  const second = await acquireS3Lease(objects(), holder(202), { breaking: old })
  assert.equal(second.epoch, 2)
  const refused = () =>
    sandbox.log
      .of('s3', 'PutObject')
      .filter((c) => c.status === 412 && (c.params as { key: string }).key === 'team/locks/team.lock')
  await sandbox.log.until(() => refused().length > 0)
  await assert.rejects(first.check(), (error: Error) => {
    assert.ok(error instanceof LeaseLostError, String(error))
    assert.match(error.message, /epoch 1, the lock is at epoch 2/)
    return true
  })
  await second.check()
  await first.release()
  await second.release()
  const lock = JSON.parse(sandbox.world.s3.getObject('leases', 'team/locks/team.lock').body)
  assert.equal(lock.released, true, 'the new holder gave it back')
  assert.equal(lock.holder.pid, 202, 'the fenced holder wrote nothing over it')
  delete process.env.SWITCHYARD_LEASE_TTL
})
