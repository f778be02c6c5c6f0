import type { Change } from '../../engine/events.js'
import { SwitchyardError } from '../../errors.js'
import { parseDuration } from '../../runbook/duration.js'
import type { StepContext, StepImplementation } from '../contract.js'
import { awaitCanary, canaryValue, DEFAULT_ATTRIBUTE, requireCanaryObject } from './canary.js'
import { attributeSchema, requireCanaryWritable } from './canary-writable.js'
import { compareCounts, filterOf } from './counts.js'
import { type Directory, withDirectories } from './ldap.js'
import { compareMetadata, readAttributeMetadata } from './repl-metadata.js'
import type { AdSyncParams } from './sync.js'
import {
  type DcIdentity,
  describeSchedule,
  type ReplicationSchedule,
  readIdentity,
  refuseSameDc,
  refuseShortTimeout,
  replicationSchedule,
} from './topology.js'
import { triggerReplication } from './trigger.js'

const DEFAULT_TIMEOUT = '5m'
const DEFAULT_POLL = '1s'

const TRIGGER_COMMAND = {
  repadmin: 'repadmin /syncall /AdeP, then repadmin /showrepl * /csv',
  'entra-delta': 'Start-ADSyncSyncCycle -PolicyType Delta (refused on a staging-mode server)',
} as const

/** What the two DCs say about themselves and the schedule between them (AD only; empty for OpenLDAP). */
interface Survey {
  source: DcIdentity
  target: DcIdentity
  schedule?: ReplicationSchedule
}

// plan and the dry run's precondition share one step context: read the DCs once for both.
const surveys = new WeakMap<StepContext, Promise<Survey>>()

function survey(ctx: StepContext, p: AdSyncParams): Promise<Survey> {
  let found = surveys.get(ctx)
  if (!found) {
    found = withDirectories(ctx, p, surveyDirectories)
    surveys.set(ctx, found)
  }
  return found
}

async function surveyDirectories(source: Directory, target: Directory): Promise<Survey> {
  const [sourceId, targetId] = await Promise.all([readIdentity(source), readIdentity(target)])
  refuseSameDc(source, sourceId, target, targetId)
  const schedule = await replicationSchedule(source, sourceId, targetId)
  return { source: sourceId, target: targetId, ...(schedule ? { schedule } : {}) }
}

function plannedChanges(p: AdSyncParams, schedule: ReplicationSchedule | undefined): Change[] {
  const changes: Change[] = []
  if (p.trigger) {
    const method = p.trigger.method ?? 'repadmin'
    changes.push({
      action: 'run',
      target: p.trigger.instances.join(', '),
      summary: `run ${TRIGGER_COMMAND[method]} on ${p.trigger.instances.join(', ')} through SSM`,
      manualUndo: false,
    })
  }
  if (p.canary) {
    const attribute = p.canary.attribute ?? DEFAULT_ATTRIBUTE
    changes.push({
      action: 'update',
      target: `${p.canary.dn} on ${p.source}`,
      // No run id or time here: a saved plan must still match when `run --plan` plans again.
      summary: `write canary ${attribute}=switchyard <run> <step> <time> on ${p.source} and wait for it on ${p.target} (up to ${p.timeout ?? DEFAULT_TIMEOUT}${schedule ? `; ${describeSchedule(schedule)}` : ''})`,
      manualUndo: false,
    })
  }
  for (const count of p.counts ?? [])
    changes.push({
      action: 'read',
      target: `${count.base} on ${p.source} and ${p.target}`,
      summary: `compare counts of ${filterOf(count)} under ${count.base}: ${p.source} vs ${p.target} (tolerance ${count.tolerance ?? 0})`,
      manualUndo: false,
    })
  return changes
}

/** The canary round then the counts, on DCs already bound. */
async function proveReplication(
  ctx: StepContext,
  p: AdSyncParams,
  source: Directory,
  target: Directory,
  asGate = false,
) {
  const outputs: Record<string, unknown> = {}
  if (p.canary) {
    const canary = await awaitCanary(ctx, {
      source,
      target,
      dn: p.canary.dn,
      attribute: p.canary.attribute ?? DEFAULT_ATTRIBUTE,
      timeoutMs: parseDuration(p.timeout ?? DEFAULT_TIMEOUT),
      pollMs: parseDuration(p.poll ?? DEFAULT_POLL),
      reuseInFlight: asGate,
    })
    ctx.progress({ message: `canary seen on ${target.label} after ${canary.latency_ms} ms`, milestone: true })
    outputs.latency_ms = canary.latency_ms
    outputs.canary = { dn: canary.dn, attribute: canary.attribute, value: canary.value }
    const evidence = await replicationEvidence(source, target, canary.dn, canary.attribute)
    if (evidence) outputs.replication_metadata = evidence
  }
  if (p.counts) {
    ctx.progress({
      message: `comparing ${p.counts.length} object count(s) on ${source.label} and ${target.label}`,
    })
    const { results, mismatches } = await compareCounts(source, target, p.counts)
    outputs.counts = results
    if (mismatches.length > 0)
      throw new SwitchyardError(
        `object counts differ between ${source.name} and ${target.name}:\n${mismatches.map((m) => `  ${m}`).join('\n')}`,
        {
          hint: 'replication has not caught up, or objects are filtered out on the way: look up the missing DNs on the target',
        },
      )
  }
  return outputs
}

export const adSyncStep: StepImplementation<AdSyncParams> = {
  // What apply needs, read-only: both DCs take the bind and are two DCs, the canary is there and
  // writable, and AD's schedule can deliver it within the timeout.
  async precondition(ctx, p) {
    const found = await survey(ctx, p)
    if (found.schedule && p.canary)
      refuseShortTimeout(found.schedule, parseDuration(p.timeout ?? DEFAULT_TIMEOUT), p.trigger !== undefined)
    await withDirectories(ctx, p, async (source) => {
      if (!p.canary) return
      await requireCanaryObject(source, p.canary.dn)
      await requireCanaryWritable(source, found.source, {
        dn: p.canary.dn,
        attribute: p.canary.attribute ?? DEFAULT_ATTRIBUTE,
        valueLength: canaryValue(ctx).length,
      })
    })
  },

  // The DCs' schedule where they can be read; the precondition reports a DC that cannot be.
  async plan(ctx, p) {
    const found = await survey(ctx, p).catch(() => undefined)
    return { changes: plannedChanges(p, found?.schedule) }
  },

  async apply(ctx, p) {
    if (ctx.dryRun)
      throw new SwitchyardError(
        'ad.sync refuses to write its canary in a dry run; this is a bug in switchyard',
      )
    // Bind first: a DC that cannot be reached fails the step before replication is triggered.
    return withDirectories(ctx, p, async (source, target) => {
      refuseSameDc(source, await readIdentity(source), target, await readIdentity(target))
      if (p.canary) await requireCanaryObject(source, p.canary.dn)
      const outputs: Record<string, unknown> = {}
      if (p.trigger)
        outputs.trigger = await triggerReplication(ctx, p.trigger, parseDuration(p.poll ?? DEFAULT_POLL))
      return { ...outputs, ...(await proveReplication(ctx, p, source, target)) }
    })
  },

  // For gates: a fresh canary round and the counts, without triggering (a gate only observes).
  async check(ctx, p) {
    await withDirectories(ctx, p, async (source, target) => {
      await proveReplication(ctx, ctx.dryRun ? { ...p, canary: undefined } : p, source, target, true)
    })
  },
}

/** The canary attribute's replication metadata on both DCs, where AD keeps it: evidence the write itself arrived. */
async function replicationEvidence(source: Directory, target: Directory, dn: string, attribute: string) {
  try {
    const identity = await readIdentity(source)
    if (identity.schemaNamingContext === undefined) return undefined
    const schema = await attributeSchema(source, identity.schemaNamingContext, attribute)
    const [onSource, onTarget] = await Promise.all([
      readAttributeMetadata(source, dn, attribute, schema?.attributeID),
      readAttributeMetadata(target, dn, attribute, schema?.attributeID),
    ])
    return onSource && onTarget ? compareMetadata(onSource, onTarget) : undefined
  } catch {
    // Evidence only: the canary itself has already proved the change arrived.
    return undefined
  }
}
