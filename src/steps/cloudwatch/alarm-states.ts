import type { CloudWatchClient } from '@aws-sdk/client-cloudwatch'

/** What an alarm said when read; `undefined` state means CloudWatch has no alarm by that name. */
export interface AlarmReading {
  name: string
  state?: string
  reason?: string
}

const PAGE = 100

/** Reads the named alarms' states, at most 100 names a call, page by page. */
export async function readAlarms(
  cloudwatch: CloudWatchClient,
  names: readonly string[],
): Promise<AlarmReading[]> {
  const { DescribeAlarmsCommand } = await import('@aws-sdk/client-cloudwatch')
  const found = new Map<string, AlarmReading>()
  for (let i = 0; i < names.length; i += PAGE) {
    let token: string | undefined
    do {
      const page = await cloudwatch.send(
        new DescribeAlarmsCommand({
          AlarmNames: names.slice(i, i + PAGE),
          ...(token ? { NextToken: token } : {}),
        }),
      )
      for (const alarm of page.MetricAlarms ?? [])
        if (alarm.AlarmName)
          found.set(alarm.AlarmName, {
            name: alarm.AlarmName,
            ...(alarm.StateValue ? { state: alarm.StateValue } : {}),
            ...(alarm.StateReason ? { reason: alarm.StateReason } : {}),
          })
      token = page.NextToken
    } while (token)
  }
  return names.map((name) => found.get(name) ?? { name })
}

/** Whether a reading passes: OK, or INSUFFICIENT_DATA when the caller says missing data is fine. */
export const alarmPasses = (reading: AlarmReading, missing: 'fail' | 'ok' = 'fail'): boolean =>
  reading.state === 'OK' || (missing === 'ok' && reading.state === 'INSUFFICIENT_DATA')

/** `giftcard-5xx is ALARM (Threshold Crossed: ...)`, or that it does not exist. */
export function describeAlarm(reading: AlarmReading): string {
  if (reading.state === undefined) return `alarm ${reading.name} does not exist`
  return `alarm ${reading.name} is ${reading.state}${reading.reason ? ` (${reading.reason})` : ''}`
}
