import type { Clock } from '../clock.js'
import { uuid } from '../ids.js'

/** The processes SuspendProcesses and ResumeProcesses accept. */
export const SCALING_PROCESSES = [
  'Launch',
  'Terminate',
  'AddToLoadBalancer',
  'AlarmNotification',
  'AZRebalance',
  'HealthCheck',
  'InstanceRefresh',
  'ReplaceUnhealthy',
  'ScheduledActions',
] as const

export type LifecycleState =
  | 'Pending'
  | 'InService'
  | 'Terminating'
  | 'Standby'
  | 'Pending:Wait'
  | 'Detaching'

export interface GroupInstance {
  id: string
  availabilityZone: string
  lifecycleState: LifecycleState
  healthStatus: 'Healthy' | 'Unhealthy'
}

export interface AutoScalingGroup {
  name: string
  arn: string
  min: number
  max: number
  desired: number
  availabilityZones: string[]
  healthCheckType: 'EC2' | 'ELB'
  targetGroupArns: string[]
  instances: GroupInstance[]
  /** Process name → SuspensionReason. */
  suspended: Record<string, string>
  createdAt: number
}

export interface ScalingActivity {
  id: string
  group: string
  description: string
  cause: string
  startTime: number
  /** How long it runs; it is InProgress until then, then ends as `endStatus`. */
  durationMs: number
  endStatus: 'Successful' | 'Failed' | 'Cancelled'
  statusMessage?: string
}

export type AutoScalingWorld = ReturnType<typeof createAutoScalingWorld>

export function createAutoScalingWorld(clock: Clock, identity: () => { account: string; region: string }) {
  const groups = new Map<string, AutoScalingGroup>()
  const activities: ScalingActivity[] = []
  const groupOrThrow = (name: string): AutoScalingGroup => {
    const group = groups.get(name)
    if (!group) throw new Error(`No Auto Scaling group ${name} in the sandbox`)
    return group
  }

  const world = {
    addGroup(spec: {
      name: string
      min?: number
      max?: number
      desired: number
      availabilityZones: string[]
      healthCheckType?: 'EC2' | 'ELB'
      targetGroupArns?: string[]
      instances?: { id: string; availabilityZone: string }[]
    }): AutoScalingGroup {
      const { account, region } = identity()
      const group: AutoScalingGroup = {
        name: spec.name,
        arn: `arn:aws:autoscaling:${region}:${account}:autoScalingGroup:${uuid()}:autoScalingGroupName/${spec.name}`,
        min: spec.min ?? spec.desired,
        max: spec.max ?? spec.desired * 2,
        desired: spec.desired,
        availabilityZones: spec.availabilityZones,
        healthCheckType: spec.healthCheckType ?? 'ELB',
        targetGroupArns: spec.targetGroupArns ?? [],
        instances: (spec.instances ?? []).map((i) => ({
          ...i,
          lifecycleState: 'InService',
          healthStatus: 'Healthy',
        })),
        suspended: {},
        createdAt: clock(),
      }
      groups.set(group.name, group)
      return group
    },

    group(name: string): AutoScalingGroup | undefined {
      return groups.get(name)
    },

    groups(): AutoScalingGroup[] {
      return [...groups.values()]
    },

    setInstance(
      group: string,
      id: string,
      state: { lifecycleState?: LifecycleState; healthStatus?: 'Healthy' | 'Unhealthy' },
    ): void {
      const instance = groupOrThrow(group).instances.find((i) => i.id === id)
      if (!instance) throw new Error(`${id} is not in Auto Scaling group ${group}`)
      Object.assign(instance, state)
    },

    setDesired(group: string, desired: number): void {
      groupOrThrow(group).desired = desired
    },

    /** A scaling activity that starts now and is InProgress for `durationMs`. */
    startActivity(
      group: string,
      activity: {
        description: string
        cause?: string
        durationMs: number
        endStatus?: ScalingActivity['endStatus']
      },
    ): ScalingActivity {
      groupOrThrow(group)
      const started: ScalingActivity = {
        id: uuid(),
        group,
        description: activity.description,
        cause:
          activity.cause ??
          `At ${new Date(clock()).toISOString()} a user request changed the desired capacity.`,
        startTime: clock(),
        durationMs: activity.durationMs,
        endStatus: activity.endStatus ?? 'Successful',
      }
      activities.push(started)
      return started
    },

    /** The group's activities, newest first, as DescribeScalingActivities lists them. */
    activities(group?: string): ScalingActivity[] {
      return activities.filter((a) => group === undefined || a.group === group).reverse()
    },

    /** InProgress until its duration has passed on the sandbox's clock. */
    activityStatus(activity: ScalingActivity): { status: string; progress: number; endTime?: number } {
      const elapsed = clock() - activity.startTime
      if (elapsed < activity.durationMs)
        return {
          status: 'InProgress',
          progress: Math.floor((elapsed / Math.max(activity.durationMs, 1)) * 100),
        }
      return { status: activity.endStatus, progress: 100, endTime: activity.startTime + activity.durationMs }
    },

    suspend(group: string, processes: readonly string[]): void {
      const g = groupOrThrow(group)
      const reason = `User suspended at ${new Date(clock()).toISOString()}`
      for (const process of processes) g.suspended[process] ??= reason
    },

    resume(group: string, processes: readonly string[]): void {
      const g = groupOrThrow(group)
      for (const process of processes) delete g.suspended[process]
    },

    /** Groups with their instances and suspended processes (without when they were suspended). */
    snapshotState() {
      return {
        groups: Object.fromEntries(
          [...groups.values()].map((g) => [
            g.name,
            {
              ...g,
              instances: g.instances.map((i) => ({ ...i })),
              suspended: Object.keys(g.suspended).sort(),
            },
          ]),
        ),
        activities: activities.map((a) => ({ id: a.id, group: a.group, description: a.description })),
      }
    },
  }
  return world
}
