import type { Change } from '../../engine/events.js'
import { SwitchyardError } from '../../errors.js'
import { parseDuration } from '../../runbook/duration.js'
import type { StepContext, StepImplementation } from '../contract.js'
import { awaitCanary, DEFAULT_ATTRIBUTE, requireCanaryObject } from './canary.js'
import { compareCounts, filterOf } from './counts.js'
import { type Directory, withDirectories } from './ldap.js'
import type { AdSyncParams } from './sync.js'
import { triggerReplication } from './trigger.js'

const DEFAULT_TIMEOUT = '5m'
const DEFAULT_POLL = '1s'

const TRIGGER_COMMAND = {
  repadmin: 'repadmin /syncall /AdeP, then repadmin /showrepl * /csv',
  'entra-delta': 'Start-ADSyncSyncCycle -PolicyType Delta (refused on a staging-mode server)',
} as const

function plannedChanges(ctx: StepContext, p: AdSyncParams): Change[] {
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
      summary: `write canary ${attribute}=switchyard ${ctx.runId} ${ctx.stepId} <time> on ${p.source} and wait for it on ${p.target} (up to ${p.timeout ?? DEFAULT_TIMEOUT})`,
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
async function proveReplication(ctx: StepContext, p: AdSyncParams, source: Directory, target: Directory) {
  const outputs: Record<string, unknown> = {}
  if (p.canary) {
    const canary = await awaitCanary(ctx, {
      source,
      target,
      dn: p.canary.dn,
      attribute: p.canary.attribute ?? DEFAULT_ATTRIBUTE,
      timeoutMs: parseDuration(p.timeout ?? DEFAULT_TIMEOUT),
      pollMs: parseDuration(p.poll ?? DEFAULT_POLL),
    })
    ctx.progress({ message: `canary seen on ${target.label} after ${canary.latency_ms} ms`, milestone: true })
    outputs.latency_ms = canary.latency_ms
    outputs.canary = { dn: canary.dn, attribute: canary.attribute, value: canary.value }
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
  // What apply needs, read-only: both DCs take the bind, and the canary and its container are there.
  async precondition(ctx, p) {
    await withDirectories(ctx, p, async (source) => {
      if (p.canary) await requireCanaryObject(source, p.canary.dn)
    })
  },

  // Reads nothing: a dry run and `plan` report the binds and the canary as the precondition's verdict.
  async plan(ctx, p) {
    return { changes: plannedChanges(ctx, p) }
  },

  async apply(ctx, p) {
    if (ctx.dryRun)
      throw new SwitchyardError(
        'ad.sync refuses to write its canary in a dry run; this is a bug in switchyard',
      )
    // Bind first: a DC that cannot be reached fails the step before replication is triggered.
    return withDirectories(ctx, p, async (source, target) => {
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
      await proveReplication(ctx, ctx.dryRun ? { ...p, canary: undefined } : p, source, target)
    })
  },
}
