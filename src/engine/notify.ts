import type { AwsClients } from '../clients/aws.js'
import type { Runbook } from '../runbook/model.js'
import type { JournalEvent } from './events.js'
import type { EngineEvent, Observer, RunOutcome } from './observer.js'
import type { RunState } from './state.js'

export const NOTIFY_EVENTS = [
  'phase-started',
  'phase-completed',
  'failed',
  'paused',
  'rollback',
  'completed',
] as const
export type NotifyOn = (typeof NOTIFY_EVENTS)[number]

export interface NotifySettings {
  topic: string
  on?: NotifyOn[]
}

/** What each journal event is, for a subscriber choosing what to hear about. */
function kindOf(event: JournalEvent): NotifyOn | undefined {
  switch (event.type) {
    case 'phase-started':
    case 'phase-completed':
      return event.type
    case 'run-failed':
    case 'step-failed':
      return event.type === 'step-failed' && event.willRetry ? undefined : 'failed'
    case 'run-paused':
      return 'paused'
    case 'rollback-started':
    case 'rollback-completed':
      return 'rollback'
    case 'run-completed':
      return 'completed'
    default:
      return undefined
  }
}

function describe(event: JournalEvent): string {
  const e = event as JournalEvent & {
    phase?: string
    step?: string
    to?: string
    reason?: string
    error?: { message: string }
  }
  const where = [e.phase, e.step].filter(Boolean).join('.')
  const detail = e.error?.message ?? e.reason ?? (e.to ? `to ${e.to}` : '')
  return [event.type, where, detail].filter(Boolean).join(': ')
}

/**
 * The runbook-level `notify:` hook: publishes the run's milestones to an SNS topic. A message that
 * cannot be sent is a warning on the screen, never a reason to stop a cutover; the run waits for
 * its messages before it ends.
 */
export function withNotifications(
  observer: Observer,
  settings: NotifySettings,
  aws: AwsClients,
  runId: () => string,
): Observer {
  const wanted = new Set<NotifyOn>(settings.on ?? NOTIFY_EVENTS)
  const region = settings.topic.split(':')[3]
  const sending: Array<Promise<void>> = []
  const publish = async (event: JournalEvent) => {
    const [sns, { PublishCommand }] = await Promise.all([aws.sns(region), import('@aws-sdk/client-sns')])
    await sns.send(
      new PublishCommand({
        TopicArn: settings.topic,
        Subject: `switchyard ${describe(event)}`.slice(0, 100).replace(/\n/g, ' '),
        Message: JSON.stringify({ run: runId(), ...event }),
        MessageAttributes: {
          run: { DataType: 'String', StringValue: runId() },
          event: { DataType: 'String', StringValue: event.type },
        },
      }),
    )
  }
  let runbook: Runbook | undefined
  return {
    start(r: Runbook, state: RunState) {
      runbook = r
      observer.start(r, state)
    },
    event(event: EngineEvent) {
      observer.event(event)
      if (!runbook || !('seq' in event)) return
      const kind = kindOf(event)
      if (!kind || !wanted.has(kind)) return
      sending.push(
        publish(event).catch((error: Error) =>
          observer.event({
            type: 'notice',
            level: 'warning',
            message: `notify ${settings.topic}: ${error.message}`,
          }),
        ),
      )
    },
    async finish(outcome: RunOutcome) {
      await Promise.all(sending)
      await observer.finish(outcome)
    },
  }
}
