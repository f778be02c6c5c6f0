import * as z from 'zod/mini'
import { Duration } from '../../runbook/schema.js'
import { defineStep } from '../contract.js'

export const TARGET_HEALTH_DEFAULTS = { consecutiveSuccesses: 3, interval: '10s', deadline: '5m' } as const

export const targetHealthParams = z.strictObject({
  target_groups: z.array(z.string().check(z.minLength(1))).check(
    z.minLength(1, { error: 'target_groups lists at least one target group' }),
    z.maxLength(100, { error: 'target_groups lists at most 100 target groups' }),
    z.refine((groups) => new Set(groups).size === groups.length, {
      error: 'target_groups lists a target group twice',
    }),
    z.describe('Target groups, each by ARN or by name, e.g. [giftcard-web-internal]'),
  ),
  consecutive_successes: z.optional(
    z
      .int()
      .check(
        z.gte(1),
        z.lte(100),
        z.describe('Reads in a row in which every target must be healthy (default 3)'),
      ),
  ),
  interval: z.optional(Duration.check(z.describe('Time between reads (default 10s)'))),
  deadline: z.optional(
    Duration.check(z.describe('The step fails if the targets are not healthy by then (default 5m)')),
  ),
})

export type TargetHealthParams = z.infer<typeof targetHealthParams>

export const elbv2TargetHealth = defineStep({
  type: 'elbv2.target-health',
  summary:
    'Check that every target of load balancer target groups is healthy, N reads in a row (read-only; a gate reads once)',
  params: targetHealthParams,
  idempotent: () => true,
  readOnly: true,
  reversible: () => true,
  usesAws: true,
  load: () => import('./target-health-step.js').then((m) => m.targetHealthStep),
})
