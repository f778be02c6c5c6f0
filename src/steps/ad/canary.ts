import { randomBytes } from 'node:crypto'
import { Attribute, Change, EqualityFilter } from 'ldapts'
import { SwitchyardError } from '../../errors.js'
import { formatDuration } from '../../runbook/duration.js'
import type { StepContext } from '../contract.js'
import { CANARY_PREFIX } from './canary-writable.js'
import { type Directory, DirectoryUnreachableError, isConnectionError, openDirectory } from './ldap.js'
import { writeRefusal } from './ldap-answers.js'

export const DEFAULT_ATTRIBUTE = 'description'
/** Connection errors in a row after which the target counts as gone, not merely slow. */
const UNREACHABLE_AFTER = 3
const NO_SUCH_OBJECT = 32

export interface CanaryResult {
  dn: string
  attribute: string
  value: string
  latency_ms: number
}

export const canaryValue = (ctx: StepContext) =>
  `${CANARY_PREFIX}${ctx.runId} ${ctx.stepId} ${new Date().toISOString()} ${randomBytes(4).toString('hex')}`

/** A canary written and not yet seen on the target, with when it was written on this process's clock. */
interface InFlight {
  value: string
  writtenAt: number
}

// Per run and step: a gate that reads again waits for the canary in flight instead of writing another.
const inFlight = new Map<string, InFlight>()
const flightKey = (ctx: StepContext, o: { dn: string; attribute: string; target: Directory }) =>
  `${ctx.runId}\n${ctx.stepId}\n${o.dn}\n${o.attribute}\n${o.target.name}`

/** Writes a new canary value on the source, naming what to do when the DC refuses it. */
async function writeCanary(
  ctx: StepContext,
  source: Directory,
  dn: string,
  attribute: string,
): Promise<InFlight> {
  const value = canaryValue(ctx)
  const writtenAt = performance.now()
  try {
    await source.client.modify(
      dn,
      new Change({ operation: 'replace', modification: new Attribute({ type: attribute, values: [value] }) }),
    )
  } catch (error) {
    const code = (error as { code?: unknown }).code
    const refusal = writeRefusal(typeof code === 'number' ? code : undefined, {
      attribute,
      dn,
      bindDn: source.bindDn,
      dc: source.label,
    })
    throw new SwitchyardError(
      `could not write the canary ${attribute} on ${dn} at ${source.label}: ${refusal.what}: ${ctx.redact(message(error))}`,
      { hint: refusal.todo },
    )
  }
  return { value, writtenAt }
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error))

/** The DN one level up: `cn=canary,ou=Migration,dc=corp` gives `ou=Migration,dc=corp` (escaped commas kept). */
export const parentDn = (dn: string) => dn.replace(/^(?:[^,\\]|\\.)*,/, '')

/** Whether an entry exists on the directory; other errors say what failed. */
async function entryExists(directory: Directory, dn: string, what: string): Promise<boolean> {
  try {
    await directory.client.search(dn, { scope: 'base', attributes: ['1.1'] })
    return true
  } catch (error) {
    if ((error as { code?: unknown }).code === NO_SUCH_OBJECT) return false
    throw new SwitchyardError(`${directory.label}: cannot read ${what} ${dn}: ${message(error)}`)
  }
}

/** Reads the canary's container, then the canary, on the source; fails naming the first one missing. */
export async function requireCanaryObject(source: Directory, dn: string): Promise<void> {
  const parent = parentDn(dn)
  if (parent !== dn && !(await entryExists(source, parent, 'the container of the canary')))
    throw new SwitchyardError(`the canary's container ${parent} does not exist on ${source.label}`, {
      hint: `create ${parent} on ${source.name}, or fix canary.dn`,
    })
  if (!(await entryExists(source, dn, 'the canary object')))
    throw new SwitchyardError(`the canary object ${dn} does not exist on ${source.label}`, {
      hint: 'create a dedicated object switchyard may write to (e.g. a contact in the migration OU), or fix canary.dn',
    })
}

/**
 * Writes a unique value on the source, then reads the target until it shows it. The latency runs
 * from just before the write to the first read that sees it, on this process's monotonic clock.
 */
export async function awaitCanary(
  ctx: StepContext,
  o: {
    source: Directory
    target: Directory
    dn: string
    attribute: string
    timeoutMs: number
    pollMs: number
    /** For gates: wait for a canary this step wrote earlier and has not seen arrive, instead of a new one. */
    reuseInFlight?: boolean
  },
): Promise<CanaryResult> {
  const { source, dn, attribute } = o
  const key = flightKey(ctx, o)
  const pending = o.reuseInFlight ? inFlight.get(key) : undefined
  if (pending) ctx.progress({ message: `waiting for the canary already in flight to ${o.target.label}` })
  const { value, writtenAt: start } = pending ?? (await writeCanary(ctx, source, dn, attribute))
  inFlight.set(key, { value, writtenAt: start })
  const filter = new EqualityFilter({ attribute, value })
  let target = o.target
  const reopened: Directory[] = []
  let unreachable = 0
  try {
    for (let polls = 1; ; polls++) {
      try {
        // After a dropped connection, bind again rather than read anonymously on ldapts' reconnect.
        if (unreachable > 0) {
          target = await openDirectory(ctx, o.target.name)
          reopened.push(target)
        }
        const { searchEntries } = await target.client.search(dn, {
          scope: 'base',
          filter,
          attributes: ['1.1'],
        })
        unreachable = 0
        if (searchEntries.length > 0) {
          inFlight.delete(key)
          return { dn, attribute, value, latency_ms: Math.round((performance.now() - start) * 10) / 10 }
        }
      } catch (error) {
        if ((error as { code?: unknown }).code === NO_SUCH_OBJECT) unreachable = 0
        else if (!(error instanceof DirectoryUnreachableError) && !isConnectionError(error))
          throw new SwitchyardError(
            `${o.target.label}: reading the canary failed: ${ctx.redact(message(error))}`,
          )
        else if (++unreachable >= UNREACHABLE_AFTER)
          throw new SwitchyardError(
            `${o.target.label} stopped answering while waiting for the canary: ${ctx.redact(message(error))}`,
            {
              hint: `check that the DC is up; the canary was written on ${source.label} (${attribute} of ${dn})`,
            },
          )
      }
      const waited = performance.now() - start
      if (waited >= o.timeoutMs) {
        // A gate's next read waits on for this canary: a late arrival still shows, and no writes pile up.
        if (!o.reuseInFlight) inFlight.delete(key)
        throw new SwitchyardError(
          `the canary did not reach ${o.target.label} within ${formatDuration(o.timeoutMs)} (${attribute}=${value} on ${dn})`,
          {
            hint: 'replication is slow or broken between the two DCs: check repadmin /showrepl, or raise timeout',
          },
        )
      }
      if (polls === 1 || o.pollMs >= 1000 || polls % Math.ceil(1000 / Math.max(o.pollMs, 1)) === 0)
        ctx.progress({
          message: `waiting for the canary on ${o.target.label}: ${(waited / 1000).toFixed(1)}s`,
        })
      await ctx.sleep(o.pollMs)
    }
  } finally {
    for (const directory of reopened) await directory.close()
  }
}
