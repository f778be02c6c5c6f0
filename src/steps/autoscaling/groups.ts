import {
  type AutoScalingClient,
  DescribeAutoScalingGroupsCommand,
  DescribeScalingActivitiesCommand,
} from '@aws-sdk/client-auto-scaling'
import { RefusedBeforeActingError } from '../../errors.js'

/** One read of a group: capacity, what is not in service, activities still running, suspended processes. */
export interface GroupReading {
  name: string
  desired: number
  /** Instances InService and Healthy. */
  inService: number
  /** `i-0ab Pending`, `i-0cd InService Unhealthy`. */
  notInService: string[]
  /** `Launching a new EC2 instance: i-0ef (InProgress, 40%)`. */
  activities: string[]
  suspended: string[]
}

const ENDED = new Set(['Successful', 'Failed', 'Cancelled'])
/** In-progress activities are the newest: one page of the latest is enough. */
const RECENT_ACTIVITIES = 20

export const groupReady = (g: GroupReading) => g.inService >= g.desired && g.activities.length === 0

export async function readGroups(
  client: AutoScalingClient,
  names: readonly string[],
): Promise<GroupReading[]> {
  const found = new Map<string, GroupReading>()
  let token: string | undefined
  do {
    const page = await client.send(
      new DescribeAutoScalingGroupsCommand({
        AutoScalingGroupNames: [...names],
        NextToken: token,
        MaxRecords: 100,
      }),
    )
    for (const group of page.AutoScalingGroups ?? []) {
      const instances = group.Instances ?? []
      const serving = instances.filter(
        (i) => i.LifecycleState === 'InService' && i.HealthStatus === 'Healthy',
      )
      found.set(group.AutoScalingGroupName ?? '', {
        name: group.AutoScalingGroupName ?? '',
        desired: group.DesiredCapacity ?? 0,
        inService: serving.length,
        notInService: instances
          .filter((i) => !serving.includes(i))
          .map(
            (i) =>
              `${i.InstanceId} ${i.LifecycleState === 'InService' ? `InService ${i.HealthStatus}` : i.LifecycleState}`,
          ),
        activities: [],
        suspended: (group.SuspendedProcesses ?? []).map((s) => s.ProcessName ?? '').filter(Boolean),
      })
    }
    token = page.NextToken || undefined
  } while (token)
  const missing = names.filter((name) => !found.has(name))
  if (missing.length > 0)
    throw new RefusedBeforeActingError(`no Auto Scaling group named ${missing.join(', ')} in this region`, {
      hint: 'check the group names and the region',
    })
  await Promise.all(
    names.map(async (name) => {
      const { Activities = [] } = await client.send(
        new DescribeScalingActivitiesCommand({ AutoScalingGroupName: name, MaxRecords: RECENT_ACTIVITIES }),
      )
      ;(found.get(name) as GroupReading).activities = Activities.filter(
        (a) => !ENDED.has(a.StatusCode ?? ''),
      ).map(
        (a) =>
          `${a.Description ?? a.ActivityId} (${a.StatusCode}${a.Progress !== undefined ? `, ${a.Progress}%` : ''})`,
      )
    }),
  )
  return names.map((name) => found.get(name) as GroupReading)
}

/** `giftcard-web: 1/2 in service; i-0ab Pending; activity in progress: Launching ... (InProgress, 40%)`. */
export function describeGroup(g: GroupReading): string {
  const parts = [`${g.name}: ${g.inService}/${g.desired} in service`]
  if (g.notInService.length > 0) parts.push(g.notInService.slice(0, 5).join(', '))
  if (g.activities.length > 0) parts.push(`activity in progress: ${g.activities.slice(0, 3).join(', ')}`)
  return parts.join('; ')
}
