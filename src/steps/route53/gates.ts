import { alarmPasses, describeAlarm, readAlarms } from '../cloudwatch/alarm-states.js'
import type { StepContext } from '../contract.js'
import type { ShiftGate } from './shift.js'

/** One gate's latest reading: whether it passes and what it said (the evidence if it failed). */
export interface GateReading {
  gate: string
  passed: boolean
  evidence: string
}

export const gateName = (gate: ShiftGate): string =>
  'alarm' in gate
    ? `alarm ${gate.alarm}`
    : 'health_check' in gate
      ? `health check ${gate.health_check}`
      : `step ${gate.step}`

/** Reads every gate once (alarms in one DescribeAlarms call); a read that throws counts as failing. */
export async function readGates(ctx: StepContext, gates: readonly ShiftGate[]): Promise<GateReading[]> {
  const alarms = gates.flatMap((g) => ('alarm' in g ? [g] : []))
  // A failed read fails the alarm gates (closed), the same as an alarm that is not OK.
  const alarmReadings = alarms.length
    ? await ctx.aws
        .cloudwatch()
        .then((cloudwatch) =>
          readAlarms(
            cloudwatch,
            alarms.map((g) => g.alarm),
          ),
        )
        .catch((error: unknown) => (error instanceof Error ? error : new Error(String(error))))
    : []
  return Promise.all(
    gates.map(async (gate): Promise<GateReading> => {
      const name = gateName(gate)
      try {
        if ('alarm' in gate) {
          if (alarmReadings instanceof Error) throw alarmReadings
          const reading = alarmReadings.find((r) => r.name === gate.alarm) ?? { name: gate.alarm }
          return { gate: name, passed: alarmPasses(reading, gate.missing), evidence: describeAlarm(reading) }
        }
        if ('health_check' in gate) return await readHealthCheck(ctx, gate.health_check)
        const verdict = await ctx.check(gate.step)
        const evidence =
          verdict.result === 'passes'
            ? `step ${gate.step} passes`
            : `step ${gate.step} stands down (skipped: ${verdict.reason})`
        return { gate: name, passed: true, evidence }
      } catch (error) {
        const message = ctx.redact(error instanceof Error ? error.message : String(error))
        return { gate: name, passed: false, evidence: `${name} failed: ${message}` }
      }
    }),
  )
}

/** Healthy only when every Route 53 checker reports Success. */
async function readHealthCheck(ctx: StepContext, id: string): Promise<GateReading> {
  const { GetHealthCheckStatusCommand } = await import('@aws-sdk/client-route-53')
  const route53 = await ctx.aws.route53()
  const { HealthCheckObservations: seen = [] } = await route53.send(
    new GetHealthCheckStatusCommand({ HealthCheckId: id }),
  )
  const failing = seen.filter((o) => !o.StatusReport?.Status?.startsWith('Success'))
  const gate = `health check ${id}`
  if (seen.length > 0 && failing.length === 0)
    return { gate, passed: true, evidence: `${gate} healthy (${seen.length} checkers report Success)` }
  const first = failing[0]?.StatusReport?.Status ?? 'no checker reported'
  return {
    gate,
    passed: false,
    evidence: `${gate} unhealthy: ${failing.length} of ${seen.length} checkers fail (${first})`,
  }
}
