import { performance } from 'node:perf_hooks'
import { SwitchyardError } from '../../errors.js'
import { parseDuration } from '../../runbook/duration.js'
import type { StepContext, StepImplementation } from '../contract.js'
import {
  describeGroupHealth,
  type GroupHealth,
  groupHealthy,
  readTargetHealth,
  resolveTargetGroups,
  type TargetGroupRef,
} from './target-groups.js'
import { TARGET_HEALTH_DEFAULTS, type TargetHealthParams } from './target-health.js'

/** Names resolved once per run (per set of clients), so a gate's poll is one DescribeTargetHealth per group. */
const resolved = new WeakMap<object, Map<string, TargetGroupRef>>()

async function targetGroupsOf(ctx: StepContext, p: TargetHealthParams): Promise<TargetGroupRef[]> {
  const elbv2 = await ctx.aws.elbv2()
  const known = resolved.get(ctx.aws) ?? new Map<string, TargetGroupRef>()
  resolved.set(ctx.aws, known)
  const missing = p.target_groups.filter((ref) => !known.has(ref))
  if (missing.length > 0)
    for (const [i, group] of (await resolveTargetGroups(elbv2, missing)).entries())
      known.set(missing[i] as string, group)
  return p.target_groups.map((ref) => known.get(ref) as TargetGroupRef)
}

async function readOnce(ctx: StepContext, p: TargetHealthParams): Promise<GroupHealth[]> {
  return readTargetHealth(await ctx.aws.elbv2(), await targetGroupsOf(ctx, p))
}

const failing = (groups: GroupHealth[]) => groups.filter((g) => !groupHealthy(g))

const outputsOf = (groups: GroupHealth[]) =>
  Object.fromEntries(
    groups.map((g) => [
      g.name,
      {
        arn: g.arn,
        targets: g.targets.length,
        healthy: g.targets.filter((t) => t.state === 'healthy').length,
      },
    ]),
  )

const groupCount = (p: TargetHealthParams) =>
  p.target_groups.length === 1 ? '1 target group' : `${p.target_groups.length} target groups`

export const targetHealthStep: StepImplementation<TargetHealthParams> = {
  // Reads nothing: the reads are the step's work. The one read-only change keeps a resume after a
  // crash mid-wait from taking "no change" as done.
  async plan(_ctx, p) {
    const n = p.consecutive_successes ?? TARGET_HEALTH_DEFAULTS.consecutiveSuccesses
    return {
      changes: [
        {
          action: 'check',
          target: groupCount(p),
          summary: `read target health of ${p.target_groups.join(', ')} until every target is healthy ${n} reads in a row (read-only)`,
        },
      ],
    }
  },

  async apply(ctx, p) {
    const needed = p.consecutive_successes ?? TARGET_HEALTH_DEFAULTS.consecutiveSuccesses
    const intervalMs = parseDuration(p.interval ?? TARGET_HEALTH_DEFAULTS.interval)
    const deadline = p.deadline ?? TARGET_HEALTH_DEFAULTS.deadline
    const deadlineAt = performance.now() + parseDuration(deadline)
    let streak = 0
    let reads = 0
    let last: GroupHealth[] = []
    for (;;) {
      last = await readOnce(ctx, p)
      reads++
      streak = failing(last).length === 0 ? streak + 1 : 0
      ctx.progress({
        percent: Math.floor((streak / needed) * 100),
        message: `${streak}/${needed} healthy reads in a row; ${last.map((g) => describeGroupHealth(g, 3)).join('; ')}`,
      })
      if (streak >= needed) return { target_groups: outputsOf(last), reads }
      if (performance.now() + intervalMs > deadlineAt) break
      await ctx.sleep(intervalMs)
    }
    throw new SwitchyardError(
      `targets not healthy ${needed} reads in a row by the ${deadline} deadline (${reads} reads):\n${failing(
        last,
      )
        .map((g) => `  ${describeGroupHealth(g)}`)
        .join('\n')}`,
      {
        hint: 'ELB sends traffic only to healthy targets: fix the failing health checks, or register the missing targets',
      },
    )
  },

  // One read, not a wait: a gate polls check during a bake, and every target must be healthy each time.
  async check(ctx, p) {
    const sick = failing(await readOnce(ctx, p))
    if (sick.length > 0)
      throw new SwitchyardError(
        `targets not healthy: ${sick.map((g) => describeGroupHealth(g)).join('; ')}`,
        {
          hint: 'every registered target must be healthy; a target group with none fails closed',
        },
      )
  },
}
