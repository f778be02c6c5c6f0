import {
  DescribeTargetGroupsCommand,
  DescribeTargetHealthCommand,
  type ElasticLoadBalancingV2Client,
} from '@aws-sdk/client-elastic-load-balancing-v2'
import { RefusedBeforeActingError } from '../../errors.js'
import { inBatches } from '../ec2/batches.js'

/** A target group as the step names it: its name (for people) and its ARN (for ELB). */
export interface TargetGroupRef {
  name: string
  arn: string
}

/** One read of a target group: each target's state, and its reason when not healthy. */
export interface GroupHealth extends TargetGroupRef {
  targets: { target: string; state: string; reason?: string; description?: string }[]
}

const NAMES_PER_CALL = 20

/** `arn:...:targetgroup/giftcard-web/73e2d6bc24d8a067` → `giftcard-web`. */
const nameInArn = (arn: string): string => /:targetgroup\/([^/]+)\//.exec(arn)?.[1] ?? arn

/** ARNs are taken as they are; names are looked up (DescribeTargetGroups, 20 names a call). */
export async function resolveTargetGroups(
  elbv2: ElasticLoadBalancingV2Client,
  refs: readonly string[],
): Promise<TargetGroupRef[]> {
  const names = refs.filter((ref) => !ref.startsWith('arn:'))
  const found = new Map<string, string>()
  for (const batch of inBatches(names, NAMES_PER_CALL)) {
    try {
      const { TargetGroups = [] } = await elbv2.send(new DescribeTargetGroupsCommand({ Names: batch }))
      for (const group of TargetGroups)
        if (group.TargetGroupName && group.TargetGroupArn)
          found.set(group.TargetGroupName, group.TargetGroupArn)
    } catch (error) {
      if ((error as Error).name === 'TargetGroupNotFoundException') throw notFound(batch, error)
      throw error
    }
  }
  return refs.map((ref) =>
    ref.startsWith('arn:') ? { name: nameInArn(ref), arn: ref } : { name: ref, arn: found.get(ref) ?? ref },
  )
}

function notFound(refs: string[], cause: unknown): RefusedBeforeActingError {
  return new RefusedBeforeActingError(
    `ELB has no target group ${refs.length === 1 ? refs[0] : `among ${refs.join(', ')}`} in this region`,
    {
      hint: "check target_groups' names or ARNs and the region (target groups belong to one region)",
      cause,
    },
  )
}

/** One DescribeTargetHealth per target group: the whole read a poll or a gate makes. */
export async function readTargetHealth(
  elbv2: ElasticLoadBalancingV2Client,
  groups: readonly TargetGroupRef[],
): Promise<GroupHealth[]> {
  return Promise.all(
    groups.map(async (group) => {
      try {
        const { TargetHealthDescriptions = [] } = await elbv2.send(
          new DescribeTargetHealthCommand({ TargetGroupArn: group.arn }),
        )
        return {
          ...group,
          targets: TargetHealthDescriptions.map((d) => ({
            target: `${d.Target?.Id ?? '?'}:${d.Target?.Port ?? '?'}`,
            state: d.TargetHealth?.State ?? 'unknown',
            ...(d.TargetHealth?.Reason ? { reason: d.TargetHealth.Reason } : {}),
            ...(d.TargetHealth?.Description ? { description: d.TargetHealth.Description } : {}),
          })),
        }
      } catch (error) {
        if ((error as Error).name === 'TargetGroupNotFoundException') throw notFound([group.name], error)
        throw error
      }
    }),
  )
}

/** Healthy only when it has targets and every one is `healthy`: no registered target fails closed. */
export const groupHealthy = (group: GroupHealth): boolean =>
  group.targets.length > 0 && group.targets.every((t) => t.state === 'healthy')

/** `giftcard-web: 1/2 healthy; i-0ab:443 unhealthy (Target.FailedHealthChecks: Health checks failed)`. */
export function describeGroupHealth(group: GroupHealth, shown = 10): string {
  if (group.targets.length === 0) return `${group.name}: no registered targets (fails closed)`
  const sick = group.targets.filter((t) => t.state !== 'healthy')
  const count = `${group.targets.length - sick.length}/${group.targets.length} healthy`
  if (sick.length === 0) return `${group.name}: ${count}`
  const listed = sick
    .slice(0, shown)
    .map(
      (t) =>
        `${t.target} ${t.state}${t.reason ? ` (${t.reason}${t.description ? `: ${t.description}` : ''})` : ''}`,
    )
  const more = sick.length > shown ? `, and ${sick.length - shown} more` : ''
  return `${group.name}: ${count}; ${listed.join(', ')}${more}`
}
