import { formInteger, formString, formStrings } from '../form-params.js'
import { pageWithin } from '../paging.js'
import { awsQueryService, type QueryParams } from '../query-endpoint.js'
import type { ServiceEndpoint } from '../service.js'
import { ServiceError } from '../service-error.js'
import { type AutoScalingGroup, type AutoScalingWorld, SCALING_PROCESSES } from './world.js'

const validation = (message: string) => new ServiceError(400, 'ValidationError', message)

const page = <T>(all: T[], params: QueryParams, defaultSize: number, query: unknown) =>
  pageWithin(all, {
    size: formInteger(params, 'MaxRecords') ?? defaultSize,
    max: 100,
    member: 'maxRecords',
    token: formString(params, 'NextToken'),
    query,
    invalidToken: () => new ServiceError(400, 'InvalidNextToken', 'The token provided is not valid.'),
  })

function groupOutput(group: AutoScalingGroup) {
  return {
    AutoScalingGroupName: group.name,
    AutoScalingGroupARN: group.arn,
    MinSize: group.min,
    MaxSize: group.max,
    DesiredCapacity: group.desired,
    DefaultCooldown: 300,
    AvailabilityZones: group.availabilityZones,
    LoadBalancerNames: [],
    TargetGroupARNs: group.targetGroupArns,
    HealthCheckType: group.healthCheckType,
    HealthCheckGracePeriod: 300,
    Instances: group.instances.map((i) => ({
      InstanceId: i.id,
      InstanceType: 'm5.large',
      AvailabilityZone: i.availabilityZone,
      LifecycleState: i.lifecycleState,
      HealthStatus: i.healthStatus,
      ProtectedFromScaleIn: false,
    })),
    CreatedTime: new Date(group.createdAt),
    SuspendedProcesses: Object.entries(group.suspended).map(([process, reason]) => ({
      ProcessName: process,
      SuspensionReason: reason,
    })),
    EnabledMetrics: [],
    Tags: [],
    TerminationPolicies: ['Default'],
    NewInstancesProtectedFromScaleIn: false,
  }
}

export function autoScalingEndpoint(world: AutoScalingWorld): ServiceEndpoint {
  /** SuspendProcesses and ResumeProcesses: a named group, and processes (none means all). */
  function processQuery(params: QueryParams): { group: string; processes: string[] } {
    const group = formString(params, 'AutoScalingGroupName')
    if (!group)
      throw validation(
        "1 validation error detected: Value null at 'autoScalingGroupName' failed to satisfy constraint: Member must not be null",
      )
    if (!world.group(group)) throw validation(`AutoScalingGroup name not found - ${group}`)
    const asked = formStrings(params, 'ScalingProcesses')
    const unknown = asked.find((p) => !(SCALING_PROCESSES as readonly string[]).includes(p))
    if (unknown) throw validation(`Process ${unknown} is not a valid Auto Scaling process`)
    return { group, processes: asked.length > 0 ? asked : [...SCALING_PROCESSES] }
  }

  return awsQueryService(
    {
      name: 'autoscaling',
      signingName: 'autoscaling',
      namespace: 'http://autoscaling.amazonaws.com/doc/2011-01-01/',
      version: '2011-01-01',
    },
    {
      DescribeAutoScalingGroups(params) {
        if (params.Filters !== undefined && params.Filters !== '')
          throw validation('The sandbox does not emulate DescribeAutoScalingGroups filters')
        const names = formStrings(params, 'AutoScalingGroupNames')
        // Names that match no group are left out, not an error.
        const chosen = world.groups().filter((g) => names.length === 0 || names.includes(g.name))
        const { items, nextToken } = page(chosen, params, 50, { names })
        return { AutoScalingGroups: items.map(groupOutput), NextToken: nextToken }
      },

      DescribeScalingActivities(params) {
        const group = formString(params, 'AutoScalingGroupName')
        const ids = formStrings(params, 'ActivityIds')
        const chosen = world.activities(group).filter((a) => ids.length === 0 || ids.includes(a.id))
        const { items, nextToken } = page(chosen, params, 100, { group, ids })
        return {
          Activities: items.map((a) => {
            const now = world.activityStatus(a)
            return {
              ActivityId: a.id,
              AutoScalingGroupName: a.group,
              AutoScalingGroupARN: world.group(a.group)?.arn,
              Description: a.description,
              Cause: a.cause,
              StartTime: new Date(a.startTime),
              EndTime: now.endTime !== undefined ? new Date(now.endTime) : undefined,
              StatusCode: now.status,
              StatusMessage: a.statusMessage,
              Progress: now.progress,
              Details: '{}',
            }
          }),
          NextToken: nextToken,
        }
      },

      SuspendProcesses(params) {
        const { group, processes } = processQuery(params)
        world.suspend(group, processes)
        return {}
      },

      ResumeProcesses(params) {
        const { group, processes } = processQuery(params)
        world.resume(group, processes)
        return {}
      },
    },
  )
}
