import type { ResourceRecordSet, Route53Client } from '@aws-sdk/client-route-53'
import { GateFailedError, SwitchyardError } from '../../errors.js'
import { invocation } from '../../invocation.js'
import { parseDuration } from '../../runbook/duration.js'
import type { Plan, StepContext, StepImplementation } from '../contract.js'
import { type GateReading, readGates } from './gates.js'
import {
  awaitInsync,
  describeRestore,
  describeWeights,
  readWeightedSets,
  upsertInOneBatch,
} from './records.js'
import type { ShiftParams } from './shift.js'

const DEFAULT_POLL = '10s'

/** What rollback needs: the record sets exactly as they were before the shift began. */
interface ShiftUndo {
  zone: string
  sets: ResourceRecordSet[]
}

/**
 * Durable progress: stage N baked with these weights. Stage 0 is the start (or a gate's rollback)
 * and carries the pre-shift sets, so a resumed attempt can still roll back in one batch.
 */
interface ShiftCheckpoint {
  stage: number
  weights: Record<string, number>
  sets?: ResourceRecordSet[]
  /** The gates' last verdicts when the stage's bake ended, and how many times they were read: the audit's evidence. */
  gates?: string[]
  gate_reads?: number
}

/** How a bake ended: the first failing gate, or the verdicts of its last read. */
interface BakeResult {
  failed?: GateReading
  verdicts: string[]
  reads: number
}

type Weights = Record<string, number>

const weightsOf = (sets: ResourceRecordSet[]): Weights =>
  Object.fromEntries(sets.map((s) => [s.SetIdentifier as string, s.Weight as number]))

const stageWeights = (p: ShiftParams, percent: number): Weights => ({
  [p.from]: 100 - percent,
  [p.to]: percent,
})

const showWeights = (weights: Weights): string =>
  Object.entries(weights)
    .map(([id, w]) => `${id} ${w}`)
    .join(', ')

/** The from and to weights, in that order, for messages. */
const pairOf = (p: ShiftParams, weights: Weights): Weights => ({
  [p.from]: weights[p.from] as number,
  [p.to]: weights[p.to] as number,
})

const sameWeights = (now: Weights, wanted: Weights): boolean =>
  Object.entries(wanted).every(([id, w]) => now[id] === w)

const lastStage = (checkpoints: readonly unknown[]): number =>
  (checkpoints.at(-1) as ShiftCheckpoint | undefined)?.stage ?? 0

async function currentSets(ctx: StepContext, p: ShiftParams) {
  const route53 = await ctx.aws.route53()
  const sets = await readWeightedSets(route53, p.zone, p.record.name, p.record.type)
  const label = `${p.record.name} ${p.record.type}`
  const known = sets.map((s) => s.SetIdentifier as string)
  for (const id of [p.from, p.to])
    if (!known.includes(id))
      throw new SwitchyardError(`${label} has no weighted record '${id}'`, {
        hint: known.length
          ? `its SetIdentifiers: ${known.join(', ')}`
          : `zone ${p.zone} has no weighted records ${label}; route53.shift never creates records`,
      })
  return { route53, sets, label }
}

export const shiftStep: StepImplementation<ShiftParams> = {
  // The alarm and health-check gates must pass before the first stage; `step:` gates are those steps' own checks.
  async precondition(ctx, p) {
    const own = (p.gates ?? []).filter((g) => !('step' in g))
    const failing = (await readGates(ctx, own)).filter((r) => !r.passed)
    if (failing.length > 0)
      throw new SwitchyardError(
        `gate${failing.length > 1 ? 's' : ''} failing: ${failing.map((r) => r.evidence).join('; ')}`,
        {
          hint: 'a failing gate stops the shift at its first bake and puts the weights back',
        },
      )
  },

  async plan(ctx, p) {
    const { sets, label } = await currentSets(ctx, p)
    const now = weightsOf(sets)
    const done = lastStage(ctx.checkpoints)
    const final = stageWeights(p, p.stages.at(-1) as number)
    if (done >= p.stages.length || (ctx.checkpoints.length === 0 && sameWeights(now, final)))
      return { changes: [], outputs: { weights: now } }
    const changes: Plan['changes'] = []
    let before = pairOf(p, now)
    for (let stage = done + 1; stage <= p.stages.length; stage++) {
      const after = stageWeights(p, p.stages[stage - 1] as number)
      const what = sameWeights(before, after) ? `hold ${showWeights(after)}` : describeWeights(before, after)
      changes.push({
        action: 'update',
        target: label,
        summary: `stage ${stage}/${p.stages.length}: ${what}, bake ${p.bake}`,
      })
      before = after
    }
    return { changes }
  },

  async apply(ctx, p) {
    const { route53, sets, label } = await currentSets(ctx, p)
    const total = p.stages.length
    let original: ResourceRecordSet[]
    if (ctx.checkpoints.length === 0) {
      await ctx.recordUndo({ zone: p.zone, sets } satisfies ShiftUndo)
      await ctx.checkpoint({ stage: 0, weights: weightsOf(sets), sets } satisfies ShiftCheckpoint)
      original = sets
    } else original = (ctx.checkpoints[0] as ShiftCheckpoint).sets ?? sets

    let current = sets
    for (let stage = lastStage(ctx.checkpoints) + 1; stage <= total; stage++) {
      const wanted = stageWeights(p, p.stages[stage - 1] as number)
      const where = `stage ${stage}/${total}`
      // A stage whose weights are already set (a resume after a crash or pause) is baked, not re-sent.
      if (!sameWeights(weightsOf(current), wanted)) {
        const updated = current.map((s) =>
          wanted[s.SetIdentifier as string] === undefined
            ? s
            : { ...s, Weight: wanted[s.SetIdentifier as string] as number },
        )
        ctx.progress({ message: `${where}: ${describeWeights(weightsOf(current), wanted)}`, milestone: true })
        const changeId = await upsertInOneBatch(
          route53,
          p.zone,
          updated.filter((s) => wanted[s.SetIdentifier as string] !== undefined),
          `switchyard ${ctx.runId} ${ctx.stepId} ${where}`,
        )
        await awaitInsync(route53, changeId, ctx)
        current = updated
      }
      const ttlMs =
        Math.max(
          0,
          ...current.map((s) => (wanted[s.SetIdentifier as string] === undefined ? 0 : (s.TTL ?? 0))),
        ) * 1000
      const { failed, verdicts, reads } = await bake(ctx, p, { where, weights: wanted, ttlMs })
      if (failed) {
        if (p.on_gate_failure === 'pause')
          throw new GateFailedError(
            `${failed.evidence}; the shift is held at ${where} (${label}: ${showWeights(wanted)})`,
            {
              hint: `fix the cause, then ${invocation()} resume bakes stage ${stage} again and goes on; ${invocation()} rollback --to start restores the weights before the shift`,
            },
          )
        await restore(ctx, route53, p.zone, original, `switchyard ${ctx.runId} ${ctx.stepId} gate failed`)
        await ctx.checkpoint({
          stage: 0,
          weights: weightsOf(original),
          sets: original,
        } satisfies ShiftCheckpoint)
        throw new GateFailedError(
          `${failed.evidence} at ${where}; restored ${label} to the weights before the shift: ${showWeights(pairOf(p, weightsOf(original)))}`,
          { hint: 'traffic is back where it started; fix the cause and resume to shift again from stage 1' },
        )
      }
      await ctx.checkpoint({
        stage,
        weights: wanted,
        gates: verdicts,
        gate_reads: reads,
      } satisfies ShiftCheckpoint)
    }
    return { weights: weightsOf(current), stages: total }
  },

  describeUndo: (_p, undo) => describeRestore(undo),

  async compensate(ctx, _p, undo) {
    const first = undo[0] as ShiftUndo | undefined
    if (!first) return
    const route53 = await ctx.aws.route53()
    await restore(ctx, route53, first.zone, first.sets, `switchyard ${ctx.runId} rollback ${ctx.stepId}`)
  },
}

/** Puts back the pre-shift record sets in one batch and waits for INSYNC. */
async function restore(
  ctx: StepContext,
  route53: Route53Client,
  zone: string,
  sets: ResourceRecordSet[],
  comment: string,
): Promise<void> {
  const changeId = await upsertInOneBatch(route53, zone, sets, comment)
  await awaitInsync(route53, changeId, ctx)
}

/**
 * Holds a stage for the record's TTL, then for the bake, reading every gate each poll. Resolves with
 * the first failing gate, or nothing once the bake is over with every gate passing.
 */
async function bake(
  ctx: StepContext,
  p: ShiftParams,
  stage: { where: string; weights: Weights; ttlMs: number },
): Promise<BakeResult> {
  const bakeMs = parseDuration(p.bake)
  const pollMs = parseDuration(p.poll ?? DEFAULT_POLL)
  const start = performance.now()
  const end = start + stage.ttlMs + bakeMs
  for (let reads = 1; ; reads++) {
    const readings = await readGates(ctx, p.gates ?? [])
    // A read cut short by a stop is no evidence against the stage: stop without rolling back.
    if (ctx.signal.aborted) throw ctx.signal.reason
    const failed = readings.find((r) => !r.passed)
    if (failed) {
      ctx.progress({ message: `${stage.where}: gate verdict: ${failed.evidence}`, milestone: true })
      return { failed, verdicts: readings.map((r) => r.evidence), reads }
    }
    const now = performance.now()
    const phase =
      now - start < stage.ttlMs
        ? `waiting out the TTL, ${seconds(start + stage.ttlMs - now)} left`
        : `baking, ${seconds(end - now)} of ${p.bake} left`
    const gates = readings.map((r) => r.evidence).join('; ')
    ctx.progress({
      percent: Math.min(100, Math.floor(((now - start) / (end - start || 1)) * 100)),
      message: `${stage.where} ${showWeights(stage.weights)}: ${phase}${gates ? ` | ${gates}` : ''}`,
    })
    if (now >= end) {
      const verdicts = readings.map((r) => r.evidence)
      ctx.progress({
        message: `${stage.where} baked: gate verdicts: ${verdicts.join('; ') || 'no gates'}`,
        milestone: true,
      })
      return { verdicts, reads }
    }
    await ctx.sleep(Math.min(pollMs, end - now))
  }
}

const seconds = (ms: number): string => `${(Math.max(0, ms) / 1000).toFixed(1)}s`
