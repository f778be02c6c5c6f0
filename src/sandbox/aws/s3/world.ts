import { createHash } from 'node:crypto'
import type { Clock } from '../clock.js'
import { hex } from '../ids.js'
import { ServiceError } from '../service-error.js'

/** Server-side encryption as S3 records it from the request headers (or the bucket's default). */
export interface Encryption {
  algorithm: string
  kmsKeyId?: string
}

export interface StoredObject {
  key: string
  body: string
  /** Quoted, as S3 sends it: `"9b2c..."`. */
  etag: string
  lastModified: number
  versionId: string
  contentType: string
  encryption?: Encryption
}

export interface Bucket {
  name: string
  versioning: 'Enabled' | 'Suspended' | undefined
  defaultEncryption?: Encryption
  /** Current object per key. */
  objects: Map<string, StoredObject>
  /** Every version ever written per key, oldest first (a delete in a versioned bucket leaves them). */
  versions: Map<string, StoredObject[]>
}

/** What a conditional write asks: `If-None-Match: *` (create only) or `If-Match: "etag"`. */
export interface WriteConditions {
  ifNoneMatch?: string
  ifMatch?: string
}

const PRECONDITION = 'At least one of the pre-conditions you specified did not hold'

export type S3World = ReturnType<typeof createS3World>

export function createS3World(clock: Clock) {
  const buckets = new Map<string, Bucket>()
  /** Keys with a conditional write in flight: a second one meanwhile is answered 409. */
  const inFlight = new Set<string>()
  let held: Promise<void> | undefined
  let arrivals: Array<{ slot: string; resolve: () => void }> = []

  const bucketOf = (name: string): Bucket => {
    const bucket = buckets.get(name)
    if (!bucket) throw new ServiceError(404, 'NoSuchBucket', 'The specified bucket does not exist')
    return bucket
  }

  function checkConditions(bucket: Bucket, key: string, conditions: WriteConditions): void {
    const current = bucket.objects.get(key)
    if (conditions.ifNoneMatch !== undefined) {
      if (conditions.ifNoneMatch !== '*')
        throw new ServiceError(501, 'NotImplemented', 'If-None-Match only accepts * on a write')
      if (current) throw new ServiceError(412, 'PreconditionFailed', PRECONDITION)
    }
    if (conditions.ifMatch !== undefined) {
      if (!current) throw new ServiceError(404, 'NoSuchKey', 'The specified key does not exist.')
      if (current.etag !== conditions.ifMatch && conditions.ifMatch !== '*')
        throw new ServiceError(412, 'PreconditionFailed', PRECONDITION)
    }
  }

  return {
    createBucket(
      name: string,
      options: { versioning?: boolean; defaultEncryption?: Encryption } = {},
    ): Bucket {
      const existing = buckets.get(name)
      if (existing) return existing
      const bucket: Bucket = {
        name,
        versioning: options.versioning ? 'Enabled' : undefined,
        ...(options.defaultEncryption ? { defaultEncryption: options.defaultEncryption } : {}),
        objects: new Map(),
        versions: new Map(),
      }
      buckets.set(name, bucket)
      return bucket
    },

    bucket: (name: string): Bucket => bucketOf(name),

    setVersioning(name: string, status: 'Enabled' | 'Suspended'): void {
      bucketOf(name).versioning = status
    },

    /**
     * Conditional writes wait while held, staying in flight: a test holds them to make two writers
     * meet on one key, then lets them go. Returns the release.
     */
    holdConditionalWrites(): () => void {
      let release = () => {}
      held = new Promise<void>((resolve) => {
        release = () => {
          held = undefined
          resolve()
        }
      })
      return release
    },

    /** Resolves once a conditional write on `bucket/key` is in flight (held or being checked). */
    writeInFlight(slot: string): Promise<void> {
      if (inFlight.has(slot)) return Promise.resolve()
      return new Promise((resolve) => arrivals.push({ slot, resolve }))
    },

    async putObject(
      bucketName: string,
      key: string,
      body: string,
      options: { conditions: WriteConditions; contentType?: string; encryption?: Encryption },
    ): Promise<StoredObject> {
      const bucket = bucketOf(bucketName)
      const conditional =
        options.conditions.ifMatch !== undefined || options.conditions.ifNoneMatch !== undefined
      if (conditional) {
        const slot = `${bucketName}/${key}`
        if (inFlight.has(slot))
          throw new ServiceError(
            409,
            'ConditionalRequestConflict',
            'A conflicting conditional operation is currently in progress against this resource. Please try again.',
          )
        inFlight.add(slot)
        for (const waiter of arrivals.filter((a) => a.slot === slot)) waiter.resolve()
        arrivals = arrivals.filter((a) => a.slot !== slot)
        try {
          await held
          checkConditions(bucket, key, options.conditions)
        } finally {
          inFlight.delete(slot)
        }
      }
      const encryption = options.encryption ?? bucket.defaultEncryption
      const object: StoredObject = {
        key,
        body,
        etag: `"${createHash('md5').update(body).digest('hex')}"`,
        lastModified: clock(),
        versionId: bucket.versioning === 'Enabled' ? hex(32) : 'null',
        contentType: options.contentType ?? 'application/octet-stream',
        ...(encryption ? { encryption } : {}),
      }
      bucket.objects.set(key, object)
      const history = bucket.versions.get(key) ?? []
      bucket.versions.set(key, bucket.versioning === 'Enabled' ? [...history, object] : [object])
      return object
    },

    getObject(bucketName: string, key: string): StoredObject {
      const object = bucketOf(bucketName).objects.get(key)
      if (!object) throw new ServiceError(404, 'NoSuchKey', 'The specified key does not exist.')
      return object
    },

    deleteObject(bucketName: string, key: string, ifMatch?: string): void {
      const bucket = bucketOf(bucketName)
      const current = bucket.objects.get(key)
      if (ifMatch !== undefined && current?.etag !== ifMatch)
        throw new ServiceError(412, 'PreconditionFailed', PRECONDITION)
      bucket.objects.delete(key)
      if (bucket.versioning !== 'Enabled') bucket.versions.delete(key)
    },

    /** Current objects under a prefix, in UTF-8 key order, as ListObjectsV2 returns them. */
    list(bucketName: string, prefix: string): StoredObject[] {
      return [...bucketOf(bucketName).objects.values()]
        .filter((o) => o.key.startsWith(prefix))
        .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
    },

    snapshotState() {
      return Object.fromEntries(
        [...buckets.values()].map((b) => [
          b.name,
          {
            versioning: b.versioning ?? 'Disabled',
            objects: Object.fromEntries([...b.objects.values()].map((o) => [o.key, o.etag])),
          },
        ]),
      )
    },
  }
}
