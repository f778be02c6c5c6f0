import { SwitchyardError } from '../../errors.js'
import { formatDuration, parseDuration } from '../../runbook/duration.js'
import type { StepContext, StepImplementation } from '../contract.js'
import type { PatchComplianceParams } from './patch-compliance.js'
import { describeVerdict, instancesTagged, type PatchVerdict, readCompliance } from './patch-states.js'

const LISTED = 20

/** Reads every instance's compliance; fails listing each one that is not COMPLIANT, or scanned too long ago. */
async function requireCompliant(ctx: StepContext, p: PatchComplianceParams): Promise<PatchVerdict[]> {
  const ssm = await ctx.aws.ssm()
  const ids = p.instances ?? (await instancesTagged(ssm, p.tags ?? {}))
  const verdicts = await readCompliance(ssm, ids)
  const maxAge = p.max_scan_age === undefined ? undefined : parseDuration(p.max_scan_age)
  const problems = verdicts.flatMap((v) => {
    if (v.status !== 'COMPLIANT') return [describeVerdict(v)]
    const age = v.scannedAt ? Date.now() - v.scannedAt.getTime() : undefined
    if (maxAge !== undefined && age !== undefined && age > maxAge)
      return [
        `${v.instance} last scanned ${formatDuration(Math.round(age / 60_000) * 60_000)} ago (max_scan_age ${p.max_scan_age})`,
      ]
    return []
  })
  if (problems.length > 0) {
    const lines = problems.slice(0, LISTED).map((line) => `  ${line}`)
    if (problems.length > LISTED) lines.push(`  and ${problems.length - LISTED} more`)
    throw new SwitchyardError(
      `${problems.length} of ${verdicts.length} instances not patch-compliant:\n${lines.join('\n')}`,
      {
        hint: 'patch them (AWS-RunPatchBaseline with Install) and scan again before the cutover, or take them out of the step',
      },
    )
  }
  return verdicts
}

export const patchComplianceStep: StepImplementation<PatchComplianceParams> = {
  async plan() {
    return { changes: [] }
  },

  async apply(ctx, p) {
    const verdicts = await requireCompliant(ctx, p)
    return {
      instances: Object.fromEntries(
        verdicts.map((v) => [
          v.instance,
          { status: v.status, baseline: v.baseline ?? null, scanned_at: v.scannedAt?.toISOString() ?? null },
        ]),
      ),
    }
  },

  async check(ctx, p) {
    await requireCompliant(ctx, p)
  },
}
