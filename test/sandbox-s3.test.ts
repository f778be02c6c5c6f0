// The sandbox's S3, driven by the real @aws-sdk/client-s3 over HTTP: conditional writes, versions,
// SSE-KMS and faults, as the S3 state backend relies on them.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import {
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3'
import { type AwsSandbox, startAwsSandbox } from '../src/sandbox/aws/index.ts'

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true'

let sandbox: AwsSandbox
let s3: S3Client
before(async () => {
  sandbox = await startAwsSandbox()
  s3 = new S3Client({
    endpoint: sandbox.url,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    // Retries without waiting: the fault tests count attempts, not seconds.
    retryStrategy: new (await import('@smithy/core/retry')).ConfiguredRetryStrategy(4, () => 0),
  })
})
after(async () => {
  s3.destroy()
  await sandbox.close()
})

const put = (Key: string, Body: string, extra: Record<string, string> = {}) =>
  s3.send(new PutObjectCommand({ Bucket: 'state', Key, Body, ...extra }))

const failure = async (promise: Promise<unknown>) => {
  const error = await promise.then(
    () => assert.fail('expected the request to fail'),
    (e: Error & { $metadata: { httpStatusCode?: number } }) => e,
  )
  return { name: error.name, status: error.$metadata.httpStatusCode }
}

describe('sandbox S3', () => {
  before(() => {
    sandbox.world.s3.createBucket('state')
  })

  test('If-None-Match: * creates a key once; a second create is 412 PreconditionFailed and the first body stays', async () => {
    await put('locks/a.lock', 'first', { IfNoneMatch: '*' })
    assert.deepEqual(await failure(put('locks/a.lock', 'second', { IfNoneMatch: '*' })), {
      name: 'PreconditionFailed',
      status: 412,
    })
    const got = await s3.send(new GetObjectCommand({ Bucket: 'state', Key: 'locks/a.lock' }))
    assert.equal(await got.Body?.transformToString(), 'first')
  })

  test('If-Match swaps only on the current ETag; a stale ETag is 412, a missing key 404 NoSuchKey', async () => {
    const first = await put('locks/b.lock', 'v1', { IfNoneMatch: '*' })
    const second = await put('locks/b.lock', 'v2', { IfMatch: first.ETag as string })
    assert.notEqual(second.ETag, first.ETag)
    assert.equal((await failure(put('locks/b.lock', 'v3', { IfMatch: first.ETag as string }))).status, 412)
    assert.deepEqual(await failure(put('locks/none.lock', 'x', { IfMatch: first.ETag as string })), {
      name: 'NoSuchKey',
      status: 404,
    })
    const head = await s3.send(new HeadObjectCommand({ Bucket: 'state', Key: 'locks/b.lock' }))
    assert.equal(head.ETag, second.ETag)
    assert.equal(head.ContentLength, 2)
  })

  test('a conditional write while another is in flight on the same key is 409 ConditionalRequestConflict', async () => {
    const release = sandbox.world.s3.holdConditionalWrites()
    const first = put('seg/1', 'one', { IfNoneMatch: '*' })
    await sandbox.world.s3.writeInFlight('state/seg/1')
    const second = await failure(put('seg/1', 'two', { IfNoneMatch: '*' }))
    release()
    await first
    assert.deepEqual(second, { name: 'ConditionalRequestConflict', status: 409 })
  })

  test('a versioned bucket names each version and keeps the old ones; SSE-KMS headers are kept and echoed', async () => {
    sandbox.world.s3.createBucket('versioned', { versioning: true })
    const kms = { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'arn:aws:kms:us-east-1:123456789012:key/k1' }
    const one = await s3.send(new PutObjectCommand({ Bucket: 'versioned', Key: 'k', Body: '1', ...kms }))
    const two = await s3.send(new PutObjectCommand({ Bucket: 'versioned', Key: 'k', Body: '2', ...kms }))
    assert.ok(one.VersionId && two.VersionId && one.VersionId !== two.VersionId)
    assert.equal(two.ServerSideEncryption, 'aws:kms')
    assert.equal(two.SSEKMSKeyId, kms.SSEKMSKeyId)
    const got = await s3.send(new GetObjectCommand({ Bucket: 'versioned', Key: 'k' }))
    assert.equal(got.SSEKMSKeyId, kms.SSEKMSKeyId)
    assert.equal(got.VersionId, two.VersionId)
    await s3.send(new DeleteObjectCommand({ Bucket: 'versioned', Key: 'k' }))
    assert.equal(sandbox.world.s3.bucket('versioned').versions.get('k')?.length, 2)
  })

  test('ListObjectsV2 pages keys under a prefix in order', async () => {
    for (const n of ['03', '01', '02']) await put(`list/${n}`, n)
    const page1 = await s3.send(new ListObjectsV2Command({ Bucket: 'state', Prefix: 'list/', MaxKeys: 2 }))
    assert.deepEqual(
      page1.Contents?.map((c) => c.Key),
      ['list/01', 'list/02'],
    )
    const page2 = await s3.send(
      new ListObjectsV2Command({
        Bucket: 'state',
        Prefix: 'list/',
        ContinuationToken: page1.NextContinuationToken,
      }),
    )
    assert.deepEqual(
      page2.Contents?.map((c) => c.Key),
      ['list/03'],
    )
    assert.equal(page2.IsTruncated, false)
  })

  test('503 SlowDown, 500 and a dropped connection are retried by the SDK, and the write lands once', async () => {
    sandbox.log.clear()
    sandbox.faults.add({ service: 's3', operation: 'PutObject', kind: 'throttle' })
    sandbox.faults.add({ service: 's3', operation: 'PutObject', kind: 'server-error', code: 'InternalError' })
    sandbox.faults.add({ service: 's3', operation: 'PutObject', kind: 'drop' })
    await put('faulty', 'body', { IfNoneMatch: '*' })
    assert.deepEqual(
      sandbox.log.of('s3', 'PutObject').map((c) => [c.status, c.error ?? '']),
      [
        [503, 'SlowDown'],
        [500, 'InternalError'],
        [0, ''],
        [200, ''],
      ],
    )
  })

  test('a missing key reads as 404 NoSuchKey, and HEAD of it as NotFound', async () => {
    assert.equal(
      (await failure(s3.send(new GetObjectCommand({ Bucket: 'state', Key: 'nope' })))).name,
      'NoSuchKey',
    )
    assert.equal(
      (await failure(s3.send(new HeadObjectCommand({ Bucket: 'state', Key: 'nope' })))).name,
      'NotFound',
    )
  })
})
