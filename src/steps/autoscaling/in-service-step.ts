import { ResumeProcessesCommand, SuspendProcessesCommand } from '@aws-sdk/client-auto-scaling'
import type { Change } from '../../engine/events.js'
import { SwitchyardError } from '../../errors.js'
import { parseDuration } from '../../runbook/duration.js'
import type { StepContext, StepImplementation } from '../contract.js'
import { describeGroup, type GroupReading, groupReady, readGroups } from './groups.js'
import type { InServiceParams } from './in-service.js'

const DEFAULT_POLL = '15s'

/** What rollback resumes: the processes this step suspended on a group, never those it found suspended (`before`). */
interface SuspendUndo {
  group: string
  processes: string[]
  before: string[]
}

async function read(ctx: StepContext, p: InServiceParams): Promise<GroupReading[]> {
  return readGroups(await ctx.aws.autoscaling(), p.groups)
}

/** Requested processes not suspended yet, by group. */
const toSuspend = (p: InServiceParams, groups: GroupReading[]) =>
  groups
    .map((g) => ({
      group: g.name,
      processes: (p.suspend ?? []).filter((s) => !g.suspended.includes(s)),
      before: g.suspended,
    }))
    .filter((s) => s.processes.length > 0)

function notInService(groups: GroupReading[]): SwitchyardError {
  return new SwitchyardError(
    `not in service: ${groups
      .filter((g) => !groupReady(g))
      .map(describeGroup)
      .join('; ')}`,
    {
      hint: 'in service means at least the desired capacity InService and Healthy, with no scaling activity in progress',
    },
  )
}

const outputsOf = (groups: GroupReading[]) =>
  Object.fromEntries(groups.map((g) => [g.name, { desired: g.desired, in_service: g.inService }]))

async function check(ctx: StepContext, p: InServiceParams): Promise<void> {
  const groups = await read(ctx, p)
  if (!groups.every(groupReady)) throw notInService(groups)
}

export const inServiceStep: StepImplementation<InServiceParams> = {
  async plan(ctx, p) {
    const groups = await read(ctx, p)
    const changes: Change[] = []
    if (!groups.every(groupReady)) {
      const count = groups.length === 1 ? '1 Auto Scaling group' : `${groups.length} Auto Scaling groups`
      changes.push({
        action: 'wait',
        target: count,
        summary: `wait until ${count} have their desired capacity in service, no activity in progress (read-only)`,
      })
    }
    for (const { group, processes } of toSuspend(p, groups))
      changes.push({
        action: 'update',
        target: group,
        summary: `suspend ${processes.join(', ')} on ${group} (rollback resumes them)`,
      })
    if (changes.length === 0) return { changes, outputs: { groups: outputsOf(groups), suspended: {} } }
    return { changes }
  },

  async apply(ctx, p) {
    const every = parseDuration(p.poll ?? DEFAULT_POLL)
    let groups: GroupReading[] = []
    let polls = 0
    for (;;) {
      polls++
      groups = await read(ctx, p)
      const ready = groups.filter(groupReady).length
      ctx.progress({
        percent: Math.floor((ready / groups.length) * 100),
        message: groups.map(describeGroup).join('; '),
      })
      if (ready === groups.length) break
      if (p.activities === 'fail' && groups.some((g) => g.activities.length > 0)) throw notInService(groups)
      await ctx.sleep(every)
    }
    // Suspended only once in service: with ReplaceUnhealthy held, an unhealthy instance would never be replaced.
    const autoscaling = await ctx.aws.autoscaling()
    const suspended: Record<string, string[]> = {}
    for (const { group, processes, before } of toSuspend(p, groups)) {
      await ctx.recordUndo({ group, processes, before } satisfies SuspendUndo)
      await autoscaling.send(
        new SuspendProcessesCommand({ AutoScalingGroupName: group, ScalingProcesses: processes }),
      )
      suspended[group] = processes
      ctx.progress({ message: `suspended ${processes.join(', ')} on ${group}`, milestone: true })
    }
    return { groups: outputsOf(groups), suspended, polls }
  },

  check,
  // A dry run and `plan` read whether the groups are in service today.
  precondition: check,

  describeUndo: (_p, undo) =>
    (undo as SuspendUndo[]).map((u) => `resume ${u.processes.join(', ')} on Auto Scaling group ${u.group}`),

  async compensate(ctx, _p, undo) {
    const autoscaling = await ctx.aws.autoscaling()
    for (const { group, processes } of undo as SuspendUndo[]) {
      try {
        await autoscaling.send(
          new ResumeProcessesCommand({ AutoScalingGroupName: group, ScalingProcesses: processes }),
        )
      } catch (error) {
        // A group deleted since has nothing left to resume.
        if (!/name not found/i.test((error as Error).message)) throw error
        ctx.warn(`Auto Scaling group ${group} no longer exists: nothing to resume`)
      }
    }
  },
}
