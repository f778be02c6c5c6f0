import type { Clock } from '../clock.js'

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA'

export interface MetricAlarm {
  name: string
  state: AlarmState
  reason: string
  updatedAt: number
  namespace: string
  metricName: string
  dimensions: { Name: string; Value: string }[]
  threshold: number
  comparisonOperator: string
  statistic: string
  period: number
  evaluationPeriods: number
  description?: string
}

export type AlarmSpec = Partial<Omit<MetricAlarm, 'updatedAt'>> & { name: string }

interface ScheduledTransition {
  name: string
  state: AlarmState
  reason: string
  at: number
}

const STATES: AlarmState[] = ['OK', 'ALARM', 'INSUFFICIENT_DATA']

export type CloudWatchWorld = ReturnType<typeof createCloudWatchWorld>

export function createCloudWatchWorld(clock: Clock) {
  const alarms = new Map<string, MetricAlarm>()
  const scheduled: ScheduledTransition[] = []

  /** Scheduled transitions happen when their time comes, observed the next time anything looks. */
  function catchUp(): void {
    const now = clock()
    scheduled.sort((a, b) => a.at - b.at)
    while (scheduled[0] && scheduled[0].at <= now) {
      const due = scheduled.shift() as ScheduledTransition
      const alarm = alarms.get(due.name)
      if (alarm) Object.assign(alarm, { state: due.state, reason: due.reason, updatedAt: due.at })
    }
  }

  const checkState = (state: AlarmState) => {
    if (!STATES.includes(state))
      throw new TypeError(`Alarm state must be one of ${STATES.join(', ')}, got '${state}'`)
  }

  const world = {
    addAlarm(spec: AlarmSpec): MetricAlarm {
      const alarm: MetricAlarm = {
        state: 'INSUFFICIENT_DATA',
        reason: 'Unchecked: Initial alarm creation',
        namespace: 'AWS/ApplicationELB',
        metricName: 'HTTPCode_Target_5XX_Count',
        dimensions: [],
        threshold: 1,
        comparisonOperator: 'GreaterThanOrEqualToThreshold',
        statistic: 'Sum',
        period: 60,
        evaluationPeriods: 1,
        ...spec,
        updatedAt: clock(),
      }
      checkState(alarm.state)
      alarms.set(alarm.name, alarm)
      return alarm
    },

    /** Sets the state now; adds the alarm if it is new. */
    setAlarm(name: string, state: AlarmState, reason?: string): void {
      checkState(state)
      catchUp()
      const alarm = alarms.get(name) ?? world.addAlarm({ name })
      Object.assign(alarm, { state, reason: reason ?? `Set by the sandbox to ${state}`, updatedAt: clock() })
    },

    /** The alarm turns `state` once `afterMs` have passed ("turns ALARM five minutes into the bake"). */
    scheduleAlarm(name: string, state: AlarmState, afterMs: number, reason?: string): void {
      checkState(state)
      if (!alarms.has(name)) world.addAlarm({ name })
      scheduled.push({
        name,
        state,
        reason: reason ?? `Threshold Crossed (scheduled by the sandbox)`,
        at: clock() + afterMs,
      })
    },

    alarm(name: string): MetricAlarm | undefined {
      catchUp()
      return alarms.get(name)
    },

    alarms(): MetricAlarm[] {
      catchUp()
      return [...alarms.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    },

    /** Alarms as they stand now, and the transitions still scheduled. */
    snapshotState() {
      catchUp()
      return {
        alarms: Object.fromEntries(
          [...alarms.values()].map((a) => [
            a.name,
            { ...a, dimensions: a.dimensions.map((d) => ({ ...d })) },
          ]),
        ),
        scheduled: scheduled.map((t) => ({ ...t })),
      }
    },
  }
  return world
}
