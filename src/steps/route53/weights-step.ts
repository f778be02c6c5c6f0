import type { ResourceRecordSet } from '@aws-sdk/client-route-53'
import { SwitchyardError } from '../../errors.js'
import type { StepContext, StepImplementation } from '../contract.js'
import {
  awaitInsync,
  describeRestore,
  describeWeights,
  readWeightedSets,
  upsertInOneBatch,
} from './records.js'
import type { WeightsParams } from './weights.js'

/** What rollback needs: the record sets exactly as they were before the change. */
interface WeightsUndo {
  zone: string
  sets: ResourceRecordSet[]
}

async function currentSets(ctx: StepContext, p: WeightsParams) {
  const route53 = await ctx.aws.route53()
  const sets = await readWeightedSets(route53, p.zone, p.record.name, p.record.type)
  const label = `${p.record.name} ${p.record.type}`
  if (sets.length === 0)
    throw new SwitchyardError(`zone ${p.zone} has no weighted records ${label}`, {
      hint: 'route53.weights changes weights of records that exist; it never creates records',
    })
  const known = sets.map((s) => s.SetIdentifier as string)
  for (const id of Object.keys(p.weights))
    if (!known.includes(id))
      throw new SwitchyardError(`${label} has no weighted record '${id}'`, {
        hint: `its SetIdentifiers: ${known.join(', ')}`,
      })
  const before = Object.fromEntries(sets.map((s) => [s.SetIdentifier as string, s.Weight as number]))
  return { route53, sets, before, label }
}

export const weightsStep: StepImplementation<WeightsParams> = {
  async plan(ctx, p) {
    const { before, label } = await currentSets(ctx, p)
    const changed = Object.keys(p.weights).filter((id) => before[id] !== p.weights[id])
    if (changed.length === 0) return { changes: [], outputs: { weights: before } }
    const after = Object.fromEntries(changed.map((id) => [id, p.weights[id] as number]))
    return {
      changes: [{ action: 'update', target: label, summary: `${label}: ${describeWeights(before, after)}` }],
    }
  },

  async apply(ctx, p) {
    const { route53, sets, before } = await currentSets(ctx, p)
    const changed = sets.filter(
      (s) =>
        p.weights[s.SetIdentifier as string] !== undefined &&
        s.Weight !== p.weights[s.SetIdentifier as string],
    )
    if (changed.length > 0) {
      await ctx.recordUndo({ zone: p.zone, sets } satisfies WeightsUndo)
      const updated = changed.map((s) => ({ ...s, Weight: p.weights[s.SetIdentifier as string] }))
      const changeId = await upsertInOneBatch(
        route53,
        p.zone,
        updated,
        `switchyard ${ctx.runId} ${ctx.stepId}`,
      )
      if (p.wait_insync !== false) await awaitInsync(route53, changeId, ctx)
      return {
        changeId,
        weights: { ...before, ...Object.fromEntries(updated.map((s) => [s.SetIdentifier, s.Weight])) },
      }
    }
    return { weights: before }
  },

  describeUndo: (_p, undo) => describeRestore(undo),

  async compensate(ctx, p, undo) {
    const first = undo[0] as WeightsUndo | undefined
    if (!first) return
    const route53 = await ctx.aws.route53()
    const changeId = await upsertInOneBatch(
      route53,
      first.zone,
      first.sets,
      `switchyard ${ctx.runId} rollback ${ctx.stepId}`,
    )
    if (p.wait_insync !== false) await awaitInsync(route53, changeId, ctx)
  },
}
