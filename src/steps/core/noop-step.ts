import type { StepImplementation } from '../contract.js'
import type { NoopParams } from './noop.js'

export const noopStep: StepImplementation<NoopParams> = {
  async plan(_ctx, params) {
    return { changes: [], outputs: params.outputs ?? {} }
  },

  async apply(ctx, params) {
    if (params.message) ctx.progress({ message: params.message })
    return params.outputs ?? {}
  },
}
