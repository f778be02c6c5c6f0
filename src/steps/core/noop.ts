import { z } from 'zod'
import { defineStep } from '../contract.js'

export const noop = defineStep({
  type: 'noop',
  summary: 'Change nothing; publish fixed outputs (useful for wiring and rehearsals)',
  params: z.strictObject({
    message: z.string().optional(),
    outputs: z.record(z.string(), z.unknown()).optional().describe('Published as steps.<id>.outputs'),
  }),
  idempotent: () => true,
  reversible: () => true,
})
