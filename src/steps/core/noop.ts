import * as z from 'zod/mini'
import { defineStep } from '../contract.js'

export const noopParams = z.strictObject({
  message: z.optional(z.string()),
  outputs: z.optional(z.record(z.string(), z.unknown()).check(z.describe('Published as steps.<id>.outputs'))),
})

export type NoopParams = z.infer<typeof noopParams>

export const noop = defineStep({
  type: 'noop',
  summary: 'Change nothing; publish fixed outputs (useful for wiring and rehearsals)',
  params: noopParams,
  idempotent: () => true,
  reversible: () => true,
  load: () => import('./noop-step.js').then((m) => m.noopStep),
})
