import { z } from 'zod'
import { defineStep } from '../contract.js'

export const approve = defineStep({
  type: 'approve',
  summary: 'Stop until an operator confirms (interactively, or with --approve / --yes)',
  params: z.strictObject({
    message: z.string().min(1).describe('What the operator is asked to confirm'),
    approvers: z.array(z.string().min(1)).min(1).optional().describe('OS users allowed to approve'),
  }),
  idempotent: () => true,
  reversible: () => true,
})
