import { ExitCode, SwitchyardError } from '../../errors.js'
import { type Lease, LeaseLostError } from '../lease.js'
import { describeHolder, isStale, LockHeldError, type LockHolder } from '../lock.js'
import { type LockObject, stateKeys } from './s3-mirror.js'
import type { StateObjects } from './s3-objects.js'

/** How long a lease lasts without a renewal: SWITCHYARD_LEASE_TTL (seconds), default 60. */
export const leaseTtlSeconds = (): number => Number(process.env.SWITCHYARD_LEASE_TTL) || 60

/** Conditional writes that lose a race are tried again this many times before giving up. */
const RACE_ATTEMPTS = 8

/** This process could not renew its lease in time: another machine may hold the lock by now. */
export class LeaseLapsedError extends SwitchyardError {
  constructor(runbook: string, ttlSeconds: number, lastFailure: string) {
    super(
      `this process could not renew its lease on runbook ${runbook} within its ${ttlSeconds}s TTL (last attempt: ${lastFailure}): it stopped before its next step and wrote nothing more to the journal`,
      {
        exitCode: ExitCode.refused,
        hint: 'check the network to S3 and the credentials; then switchyard resume, from this machine or another (see switchyard status first)',
      },
    )
  }
}

/** A lock held on another machine whose lease is still running: how long until it lapses. */
export class S3LockHeldError extends LockHeldError {
  constructor(holder: LockHolder, expiresInMs: number) {
    super(holder, false)
    const seconds = Math.max(1, Math.ceil(expiresInMs / 1000))
    this.message += `; its lease lapses in ${seconds}s unless that process renews it`
  }
}

/** The lock as S3 holds it now, with its age on S3's own clock. */
async function readLockObject(objects: StateObjects, runbook: string) {
  const read = await objects.read(stateKeys.lock(runbook))
  if (!read) return undefined
  return { read, body: JSON.parse(read.body) as LockObject, ageMs: read.serverNow - read.lastModified }
}

/**
 * Takes the runbook's lock in S3: created with If-None-Match: *, or taken over with If-Match on
 * the ETag of a lock that was released or whose lease lapsed (or, with `breaking`, of the holder
 * being broken). Each take bumps the epoch the lock carries, fencing every earlier holder.
 */
export async function acquireS3Lease(
  objects: StateObjects,
  holder: LockHolder,
  options: { breaking?: LockHolder } = {},
): Promise<Lease> {
  const ttlSeconds = leaseTtlSeconds()
  for (let attempt = 0; attempt < RACE_ATTEMPTS; attempt++) {
    const current = await readLockObject(objects, holder.runbook)
    // The holder's own TTL counts: it renews at its pace, whatever this machine's setting is.
    if (current && !current.body.released && current.ageMs < current.body.ttlSeconds * 1000) {
      const breaking = options.breaking && sameHolder(current.body.holder, options.breaking)
      // A holder gone from this very host is stale: it is broken only on purpose, as a local one.
      if (!breaking && isStale(current.body.holder)) throw new LockHeldError(current.body.holder, true)
      if (!breaking)
        throw new S3LockHeldError(current.body.holder, current.body.ttlSeconds * 1000 - current.ageMs)
    }
    const epoch = (current?.body.holder.epoch ?? 0) + 1
    const body: LockObject = { holder: { ...holder, epoch }, ttlSeconds, renewals: 0 }
    const result = await objects.write(
      stateKeys.lock(holder.runbook),
      JSON.stringify(body),
      current ? { ifMatch: current.read.etag } : { ifNoneMatch: '*' },
    )
    if (result.written) return heartbeat(objects, body, result.etag)
  }
  const now = await readLockObject(objects, holder.runbook)
  throw new S3LockHeldError(now?.body.holder ?? holder, 0)
}

const sameHolder = (a: LockHolder, b: LockHolder) =>
  a.pid === b.pid && a.host === b.host && a.since === b.since && a.runId === b.runId

/**
 * The held lease: renewed with If-Match on its ETag every third of its TTL. It is current while the
 * last renewal is younger than the TTL less a margin, measured on this machine's clock from before
 * the renewal was sent (S3 dates the write later, so the lease lapses here before it does there).
 * A renewal refused (412) means another took the lock: the lease is lost for good. check() waits
 * for a renewal in flight, so no batch slips through while S3's answer is on its way.
 */
function heartbeat(objects: StateObjects, body: LockObject, etag: string): Lease {
  const ttlMs = body.ttlSeconds * 1000
  const lapsesAfterMs = (ttlMs * 5) / 6
  const key = stateKeys.lock(body.holder.runbook)
  let renewedAt = performance.now()
  let lost: SwitchyardError | undefined
  let lastFailure = 'no answer yet'
  let released = false
  let renewing: Promise<void> | undefined

  const loseTo = async () => {
    // Lost from the 412 on: no batch may pass check() while the new holder is being looked up.
    lost = new LeaseLostError(body.holder.runbook, body.holder.epoch, body.holder.epoch + 1, undefined)
    const now = await readLockObject(objects, body.holder.runbook).catch(() => undefined)
    lost = new LeaseLostError(
      body.holder.runbook,
      body.holder.epoch,
      now?.body.holder.epoch ?? body.holder.epoch + 1,
      now ? describeHolder(now.body.holder) : undefined,
    )
  }

  const attemptRenewal = async () => {
    const sentAt = performance.now()
    const next: LockObject = { ...body, renewals: body.renewals + 1 }
    try {
      const result = await objects.write(key, JSON.stringify(next), { ifMatch: etag })
      if (result.written) {
        etag = result.etag
        body.renewals = next.renewals
        renewedAt = sentAt
      } else if (result.why === 'precondition') await loseTo()
      else lastFailure = 'a concurrent write on the lock (409)'
    } catch (error) {
      // S3 unreachable for now: the next beat tries again; check() tells when the lease has lapsed.
      lastFailure = (error as Error).message
    }
  }
  /** One renewal at a time: a beat that finds one in flight joins it. */
  const renew = (): Promise<void> => {
    if (lost || released) return Promise.resolve()
    renewing ??= attemptRenewal().finally(() => {
      renewing = undefined
    })
    return renewing
  }
  const timer = setInterval(() => void renew(), ttlMs / 3)
  timer.unref()

  return {
    runbook: body.holder.runbook,
    epoch: body.holder.epoch,
    check: async () => {
      // A renewal in flight may be the one S3 refuses: its answer decides.
      if (renewing) await renewing
      if (!lost && performance.now() - renewedAt >= lapsesAfterMs) await renew()
      if (!lost && performance.now() - renewedAt >= lapsesAfterMs)
        lost = new LeaseLapsedError(body.holder.runbook, body.ttlSeconds, lastFailure)
      if (lost) throw lost
    },
    release: async () => {
      if (released) return
      released = true
      clearInterval(timer)
      await renewing
      // Taken by another: nothing to give back. Lapsed here: it may still be ours, and If-Match tells.
      if (lost instanceof LeaseLostError) return
      const done: LockObject = { ...body, renewals: body.renewals + 1, released: true }
      await objects.write(key, JSON.stringify(done), { ifMatch: etag }).catch(() => undefined)
    },
  }
}
