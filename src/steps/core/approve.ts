import * as z from 'zod/mini'
import { defineStep } from '../contract.js'

export const approveParams = z.strictObject({
  message: z.string().check(z.minLength(1), z.describe('What the operator is asked to confirm')),
  approvers: z.optional(
    z
      .array(z.string().check(z.minLength(1)))
      .check(
        z.minLength(1),
        z.describe(
          'Who may approve: OS user names, or AWS ARNs as STS reports the caller (never SWITCHYARD_OPERATOR)',
        ),
      ),
  ),
})

export type ApproveParams = z.infer<typeof approveParams>

export const approve = defineStep({
  type: 'approve',
  summary: 'Stop until an operator confirms (interactively, or with --approve / --yes)',
  params: approveParams,
  idempotent: () => true,
  reversible: () => true,
  load: () => import('./approve-step.js').then((m) => m.approveStep),
})
