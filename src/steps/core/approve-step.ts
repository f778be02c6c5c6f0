import type { StepImplementation } from '../contract.js'
import type { ApproveParams } from './approve.js'

export const approveStep: StepImplementation<ApproveParams> = {
  async plan(_ctx, params) {
    const target = params.approvers ? params.approvers.join(', ') : 'operator'
    return { changes: [{ action: 'approve', target, summary: params.message }] }
  },

  async apply(ctx, params) {
    const request = params.approvers ? { message: params.message, approvers: params.approvers } : params
    const { operator, reason } = await ctx.approve(request)
    return { approvedBy: operator, reason }
  },

  // An approval changed nothing, but rollback compensates every reversible step that planned a change.
  async compensate() {},
}
