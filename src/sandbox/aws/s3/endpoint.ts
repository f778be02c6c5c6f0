import type { Clock } from '../clock.js'
import { RawReply } from '../respond.js'
import type { DecodedCall, SandboxRequest, ServiceEndpoint } from '../service.js'
import { ServiceError } from '../service-error.js'
import { xmlElement } from '../xml-write.js'
import type { Encryption, S3World, StoredObject } from './world.js'

const NAMESPACE = 'http://s3.amazonaws.com/doc/2006-03-01/'
const MAX_KEYS = 1000

/** `/bucket/a/b%20c` → bucket and key (undefined for a bucket-level request); path style only. */
function locate(path: string): { bucket: string; key: string | undefined } {
  const [, bucket = '', ...rest] = path.split('/')
  const key = rest.map((part) => decodeURIComponent(part)).join('/')
  return { bucket: decodeURIComponent(bucket), key: rest.length === 0 || key === '' ? undefined : key }
}

function operationOf(request: SandboxRequest): string | undefined {
  const { bucket, key } = locate(request.path)
  if (bucket === '') return undefined
  const q = request.query
  if (key === undefined) {
    if (request.method === 'PUT') return q.has('versioning') ? 'PutBucketVersioning' : 'CreateBucket'
    if (request.method === 'GET' && q.has('versioning')) return 'GetBucketVersioning'
    if (request.method === 'GET' && q.get('list-type') === '2') return 'ListObjectsV2'
    if (request.method === 'HEAD') return 'HeadBucket'
    return undefined
  }
  if (request.headers['x-amz-copy-source']) return undefined
  return { PUT: 'PutObject', GET: 'GetObject', HEAD: 'HeadObject', DELETE: 'DeleteObject' }[request.method]
}

const header = (request: SandboxRequest, name: string): string | undefined => {
  const value = request.headers[name]
  return Array.isArray(value) ? value[0] : value
}

function encryptionOf(request: SandboxRequest): Encryption | undefined {
  const algorithm = header(request, 'x-amz-server-side-encryption')
  if (!algorithm) return undefined
  if (algorithm !== 'aws:kms' && algorithm !== 'AES256' && algorithm !== 'aws:kms:dsse')
    throw new ServiceError(400, 'InvalidArgument', `Server Side Encryption with ${algorithm} is not valid`)
  const kmsKeyId = header(request, 'x-amz-server-side-encryption-aws-kms-key-id')
  return { algorithm, ...(kmsKeyId ? { kmsKeyId } : {}) }
}

/** The headers S3 answers an object with: its ETag, version, time and encryption. */
function objectHeaders(object: StoredObject): Record<string, string> {
  return {
    etag: object.etag,
    'last-modified': new Date(object.lastModified).toUTCString(),
    ...(object.versionId === 'null' ? {} : { 'x-amz-version-id': object.versionId }),
    ...(object.encryption ? { 'x-amz-server-side-encryption': object.encryption.algorithm } : {}),
    ...(object.encryption?.kmsKeyId
      ? { 'x-amz-server-side-encryption-aws-kms-key-id': object.encryption.kmsKeyId }
      : {}),
  }
}

const xmlHeaders = { 'content-type': 'application/xml' }
const xml = (root: string, body: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${NAMESPACE}">${body}</${root}>`

function listObjects(world: S3World, bucket: string, query: URLSearchParams): RawReply {
  const prefix = query.get('prefix') ?? ''
  const maxKeys = Math.min(Number(query.get('max-keys') ?? MAX_KEYS) || MAX_KEYS, MAX_KEYS)
  const token = query.get('continuation-token')
  const after = token ? Buffer.from(token, 'base64url').toString('utf8') : (query.get('start-after') ?? '')
  const all = world.list(bucket, prefix).filter((o) => o.key > after)
  const page = all.slice(0, maxKeys)
  const truncated = all.length > page.length
  const contents = page
    .map((o) =>
      xmlElement(
        'Contents',
        {
          Key: o.key,
          LastModified: new Date(o.lastModified),
          ETag: o.etag,
          Size: Buffer.byteLength(o.body),
          StorageClass: 'STANDARD',
        },
        () => 'member',
      ),
    )
    .join('')
  const next = truncated ? Buffer.from(page.at(-1)?.key ?? '').toString('base64url') : undefined
  const body =
    xmlElement('Name', bucket, () => 'member') +
    xmlElement('Prefix', prefix, () => 'member') +
    xmlElement('KeyCount', page.length, () => 'member') +
    xmlElement('MaxKeys', maxKeys, () => 'member') +
    xmlElement('IsTruncated', truncated, () => 'member') +
    contents +
    (next ? xmlElement('NextContinuationToken', next, () => 'member') : '')
  return new RawReply(200, xmlHeaders, xml('ListBucketResult', body))
}

/**
 * S3 as the state backend uses it, path style over REST-XML: buckets (versioned or not, default
 * encryption), objects with conditional writes (If-None-Match: *, If-Match: ETag; 412 when they do
 * not hold, 409 when another conditional write on the key is in flight), and listing by prefix.
 */
export function s3Endpoint(world: S3World, clock: Clock): ServiceEndpoint {
  const dated = (reply: RawReply) =>
    new RawReply(reply.status, { date: new Date(clock()).toUTCString(), ...reply.headers }, reply.body)

  const runners: Record<
    string,
    (request: SandboxRequest, bucket: string, key: string) => RawReply | Promise<RawReply>
  > = {
    CreateBucket: (_r, bucket) => {
      world.createBucket(bucket)
      return new RawReply(200, { location: `/${bucket}` })
    },
    PutBucketVersioning: (request, bucket) => {
      const status = /<Status>(Enabled|Suspended)<\/Status>/.exec(request.body)?.[1]
      if (!status) throw new ServiceError(400, 'MalformedXML', 'The XML you provided was not well-formed')
      world.setVersioning(bucket, status as 'Enabled' | 'Suspended')
      return new RawReply(200, {})
    },
    GetBucketVersioning: (_r, bucket) => {
      const status = world.bucket(bucket).versioning
      return new RawReply(
        200,
        xmlHeaders,
        xml('VersioningConfiguration', status ? `<Status>${status}</Status>` : ''),
      )
    },
    HeadBucket: (_r, bucket) => {
      world.bucket(bucket)
      return new RawReply(200, {})
    },
    ListObjectsV2: (request, bucket) => listObjects(world, bucket, request.query),
    PutObject: async (request, bucket, key) => {
      const ifMatch = header(request, 'if-match')
      const ifNoneMatch = header(request, 'if-none-match')
      const encryption = encryptionOf(request)
      const contentType = header(request, 'content-type')
      const object = await world.putObject(bucket, key, request.body, {
        conditions: { ...(ifMatch ? { ifMatch } : {}), ...(ifNoneMatch ? { ifNoneMatch } : {}) },
        ...(contentType ? { contentType } : {}),
        ...(encryption ? { encryption } : {}),
      })
      const { 'last-modified': _, ...headers } = objectHeaders(object)
      return new RawReply(200, headers)
    },
    GetObject: (_r, bucket, key) => {
      const object = world.getObject(bucket, key)
      return new RawReply(200, { ...objectHeaders(object), 'content-type': object.contentType }, object.body)
    },
    HeadObject: (_r, bucket, key) => {
      const object = world.getObject(bucket, key)
      return new RawReply(200, {
        ...objectHeaders(object),
        'content-type': object.contentType,
        'content-length': String(Buffer.byteLength(object.body)),
      })
    },
    DeleteObject: (request, bucket, key) => {
      world.deleteObject(bucket, key, header(request, 'if-match'))
      return new RawReply(204, {})
    },
  }

  return {
    name: 's3',
    protocol: 'restXmlS3',
    signingName: 's3',
    namespace: NAMESPACE,
    throttle: { status: 503, code: 'SlowDown', message: 'Please reduce your request rate.' },
    recognises: () => false,
    operationOf,
    decode(request: SandboxRequest, operation: string): DecodedCall {
      const { bucket, key } = locate(request.path)
      const run = runners[operation]
      if (!run) throw new ServiceError(501, 'NotImplemented', `The sandbox does not emulate S3 ${operation}`)
      return {
        params: {
          bucket,
          ...(key === undefined ? {} : { key }),
          ...(request.query.has('prefix') ? { prefix: request.query.get('prefix') } : {}),
          conditions: conditionsOf(request),
        },
        run: async () => dated(await run(request, bucket, key ?? '')),
      }
    },
  }
}

/** The conditional headers, for the request log (tests read which writes were conditional). */
function conditionsOf(request: SandboxRequest): Record<string, string> {
  const out: Record<string, string> = {}
  for (const name of ['if-match', 'if-none-match']) {
    const value = header(request, name)
    if (value) out[name] = value
  }
  return out
}
