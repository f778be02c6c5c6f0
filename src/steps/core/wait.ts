import * as z from 'zod/mini'
import { Duration } from '../../runbook/schema.js'
import { defineStep } from '../contract.js'

export const waitParams = z
  .strictObject({
    duration: z.optional(Duration.check(z.describe('How long to hold: 500ms, 30s, 5m, 1h30m'))),
    until: z.optional(
      z
        .string()
        .check(
          z.minLength(1),
          z.describe('The id of a step whose check must pass; it is checked every interval'),
        ),
    ),
    interval: z.optional(Duration.check(z.describe('Time between checks of until, e.g. 30s (default 10s)'))),
    reason: z.optional(z.string().check(z.describe('Shown while waiting'))),
  })
  .check(
    z.refine((p) => p.duration !== undefined || p.until !== undefined, {
      error: 'a wait needs duration (a fixed time, e.g. 5m) or until (a step whose check must pass)',
    }),
    z.refine((p) => p.duration === undefined || p.until === undefined, {
      error: 'a wait takes duration or until, not both',
      path: ['until'],
    }),
    z.refine((p) => p.interval === undefined || p.until !== undefined, {
      error: 'interval is the time between checks of until; a wait for a duration has none',
      path: ['interval'],
    }),
    // The JSON Schema for editors cannot see the refinements above; say the same in its words.
    z.meta({
      oneOf: ['duration', 'until'].map((key) => ({ properties: { [key]: true }, required: [key] })),
      dependentRequired: { interval: ['until'] },
    }),
  )

export type WaitParams = z.infer<typeof waitParams>

export const wait = defineStep({
  type: 'wait',
  summary: "Hold for a fixed time, or until another step's check passes (caches drain, DNS TTLs expire)",
  params: waitParams,
  idempotent: () => true,
  reversible: () => true,
  references: (p) => (p.until === undefined ? [] : [{ key: 'until', step: p.until }]),
  load: () => import('./wait-step.js').then((m) => m.waitStep),
})
