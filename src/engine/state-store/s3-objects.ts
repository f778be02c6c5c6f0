import type { S3Client } from '@aws-sdk/client-s3'
import type { AwsClients } from '../../clients/aws.js'
import { stepScope } from '../../clients/step-scope.js'
import { ExitCode, InvalidInputError, SwitchyardError } from '../../errors.js'

/** Runs a call outside any step's scope: the state's retries are not a step's progress. */
const outsideSteps = <T>(call: () => Promise<T>): Promise<T> => stepScope.exit(call)

/** Where team state lives: `s3://BUCKET/PREFIX`. */
export interface S3Location {
  bucket: string
  /** Without slashes at either end; '' for the bucket's root. */
  prefix: string
  /** As the operator wrote it, normalised: s3://bucket/prefix. */
  url: string
}

export const isS3Url = (text: string): boolean => text.startsWith('s3://')

/** Bucket names as S3 allows them (3-63 of a-z, 0-9, '.', '-'). */
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/

export function parseS3Url(text: string): S3Location {
  const rest = text.slice('s3://'.length)
  const slash = rest.indexOf('/')
  const bucket = slash === -1 ? rest : rest.slice(0, slash)
  const prefix = slash === -1 ? '' : rest.slice(slash + 1).replace(/^\/+|\/+$/g, '')
  if (!BUCKET.test(bucket))
    throw new InvalidInputError(`--state-dir ${text}: '${bucket}' is not an S3 bucket name`, {
      hint: 'write it as s3://BUCKET/PREFIX, e.g. s3://acme-cutover-state/giftcard',
    })
  return { bucket, prefix, url: `s3://${bucket}${prefix ? `/${prefix}` : ''}` }
}

/** An object as read: its text, ETag, and the server's clocks (when it was written, when it answered). */
export interface ReadObject {
  body: string
  etag: string
  lastModified: number
  /** The server's Date header: S3's own now, so an age is measured on one clock. */
  serverNow: number
}

export type WriteCondition = { ifNoneMatch: '*' } | { ifMatch: string }

export type WriteResult =
  | { written: true; etag: string }
  | { written: false; why: 'precondition' | 'conflict' }

/** S3 could not be read or written: which call, on what, and what the operator does next. */
export class StateStoreError extends SwitchyardError {
  constructor(where: string, operation: string, key: string, error: unknown) {
    const e = error as Error & { name?: string; $metadata?: { httpStatusCode?: number } }
    const code = e.name ?? 'Error'
    const badInput = code === 'NoSuchBucket' || code === 'AccessDenied' || code === 'PermanentRedirect'
    super(`the state in ${where} cannot be reached: S3 ${operation} ${key} failed: ${code}: ${e.message}`, {
      exitCode: badInput ? ExitCode.invalidInput : ExitCode.runFailed,
      hint:
        code === 'NoSuchBucket'
          ? 'create the bucket (see "State for a team" in the README) or point --state-dir at the right one'
          : code === 'AccessDenied'
            ? 'this AWS identity needs the state policy on that prefix (see "State for a team" in the README)'
            : 'check the network and the credentials, then run the command again: every event S3 acknowledged is kept',
      cause: error,
    })
  }
}

/** The few S3 calls the state needs, on one bucket and prefix; keys are given relative to the prefix. */
export class StateObjects {
  constructor(
    readonly location: S3Location,
    private readonly aws: AwsClients,
    /** Every write names this KMS key (SSE-KMS); else the bucket's default encryption applies. */
    private readonly kmsKeyId: string | undefined = process.env.SWITCHYARD_STATE_KMS_KEY_ID || undefined,
  ) {}

  private key = (relative: string) =>
    this.location.prefix ? `${this.location.prefix}/${relative}` : relative

  private async client(): Promise<{ s3: S3Client; sdk: typeof import('@aws-sdk/client-s3') }> {
    const [s3, sdk] = await Promise.all([this.aws.s3(), import('@aws-sdk/client-s3')])
    return { s3, sdk }
  }

  async read(relative: string): Promise<ReadObject | undefined> {
    const { s3, sdk } = await this.client()
    const command = new sdk.GetObjectCommand({ Bucket: this.location.bucket, Key: this.key(relative) })
    let serverNow = Date.now()
    command.middlewareStack.add(
      (next) => async (args) => {
        const result = await next(args)
        const date = (result.response as { headers?: Record<string, string> }).headers?.date
        if (date) serverNow = Date.parse(date)
        return result
      },
      { step: 'deserialize', name: 'switchyardServerDate' },
    )
    try {
      const out = await outsideSteps(() => s3.send(command))
      return {
        body: (await out.Body?.transformToString('utf8')) ?? '',
        etag: out.ETag ?? '',
        lastModified: out.LastModified?.getTime() ?? serverNow,
        serverNow,
      }
    } catch (error) {
      if ((error as Error).name === 'NoSuchKey') return undefined
      // A missing key is 403, not 404, to an identity allowed to list only its prefix: the listing tells.
      if ((error as Error).name === 'AccessDenied' && !(await this.list(relative)).includes(relative))
        return undefined
      throw new StateStoreError(this.location.url, 'GetObject', relative, error)
    }
  }

  /**
   * A conditional write: the answer says whether it landed, or that the condition did not hold.
   * Every body switchyard writes is unique, so a 412 on a key that now holds this very body means
   * an earlier attempt landed and only its answer was lost (a dropped connection, then the retry).
   */
  async write(relative: string, body: string, condition: WriteCondition): Promise<WriteResult> {
    const result = await this.put(relative, body, condition)
    if (result.written || result.why !== 'precondition') return result
    const now = await this.read(relative)
    return now?.body === body ? { written: true, etag: now.etag } : result
  }

  private async put(relative: string, body: string, condition: WriteCondition): Promise<WriteResult> {
    const { s3, sdk } = await this.client()
    try {
      const out = await outsideSteps(() =>
        s3.send(
          new sdk.PutObjectCommand({
            Bucket: this.location.bucket,
            Key: this.key(relative),
            Body: body,
            ContentType: relative.endsWith('.yaml') ? 'application/yaml' : 'application/json',
            ...('ifNoneMatch' in condition ? { IfNoneMatch: '*' } : { IfMatch: condition.ifMatch }),
            ...(this.kmsKeyId ? { ServerSideEncryption: 'aws:kms', SSEKMSKeyId: this.kmsKeyId } : {}),
          }),
        ),
      )
      return { written: true, etag: out.ETag ?? '' }
    } catch (error) {
      const name = (error as Error).name
      if (name === 'PreconditionFailed' || name === 'NoSuchKey')
        return { written: false, why: 'precondition' }
      if (name === 'ConditionalRequestConflict') return { written: false, why: 'conflict' }
      throw new StateStoreError(this.location.url, 'PutObject', relative, error)
    }
  }

  /** Every key under a relative prefix ('' for all), relative to the state's prefix, in S3's (UTF-8) order. */
  async list(relative: string): Promise<string[]> {
    const { s3, sdk } = await this.client()
    const keys: string[] = []
    const strip = this.location.prefix ? this.location.prefix.length + 1 : 0
    let token: string | undefined
    do {
      let out: import('@aws-sdk/client-s3').ListObjectsV2CommandOutput
      try {
        const page = token
        out = await outsideSteps(() =>
          s3.send(
            new sdk.ListObjectsV2Command({
              Bucket: this.location.bucket,
              Prefix: this.key(relative),
              ...(page ? { ContinuationToken: page } : {}),
            }),
          ),
        )
      } catch (error) {
        throw new StateStoreError(this.location.url, 'ListObjectsV2', relative, error)
      }
      for (const entry of out.Contents ?? []) if (entry.Key) keys.push(entry.Key.slice(strip))
      token = out.IsTruncated ? out.NextContinuationToken : undefined
    } while (token)
    return keys
  }
}
