import * as z from 'zod/mini'
import { Duration } from '../../runbook/schema.js'
import { defineStep } from '../contract.js'

/** The processes worth holding during a cutover window, and the others Auto Scaling accepts. */
export const PROCESSES = [
  'AZRebalance',
  'ReplaceUnhealthy',
  'HealthCheck',
  'ScheduledActions',
  'AlarmNotification',
  'Launch',
  'Terminate',
  'AddToLoadBalancer',
  'InstanceRefresh',
] as const

export const inServiceParams = z.strictObject({
  groups: z.array(z.string().check(z.minLength(1))).check(
    z.minLength(1, { error: 'groups lists at least one Auto Scaling group' }),
    z.maxLength(50, { error: 'groups lists at most 50 Auto Scaling groups' }),
    z.refine((groups) => new Set(groups).size === groups.length, { error: 'groups lists a group twice' }),
    z.describe('Auto Scaling group names'),
  ),
  activities: z.optional(
    z
      .enum(['wait', 'fail'])
      .check(z.describe('A scaling activity in progress: wait (default) for it to end, or fail at once')),
  ),
  suspend: z.optional(
    z.array(z.enum(PROCESSES)).check(
      z.minLength(1),
      z.refine((list) => new Set(list).size === list.length, { error: 'suspend lists a process twice' }),
      z.describe(
        'Processes suspended once the groups are in service, e.g. [AZRebalance, ReplaceUnhealthy]; rollback resumes those this step suspended',
      ),
    ),
  ),
  poll: z.optional(Duration.check(z.describe('Time between reads while waiting (default 15s)'))),
})

export type InServiceParams = z.infer<typeof inServiceParams>

export const autoscalingInService = defineStep({
  type: 'autoscaling.in-service',
  summary:
    'Wait until Auto Scaling groups have their desired capacity InService and Healthy with no scaling activity in progress; optionally suspend processes for the cutover window',
  params: inServiceParams,
  idempotent: () => true,
  reversible: () => true,
  usesAws: true,
  load: () => import('./in-service-step.js').then((m) => m.inServiceStep),
})
