import { PublishCommand } from '@aws-sdk/client-sns'
import type { StepImplementation } from '../contract.js'
import type { NotifyParams } from './notify.js'

/** `arn:aws:sns:us-east-1:123456789012:cutover` → `us-east-1`: publish in the topic's own region. */
const regionOf = (topic: string) => topic.split(':')[3]

/** What the plan calls the message: its subject, else the start of its first line. */
function headline(p: NotifyParams): string {
  if (p.subject) return p.subject
  const first = p.message.split('\n')[0] ?? ''
  return first.length > 60 ? `${first.slice(0, 59)}…` : first
}

export const notifyStep: StepImplementation<NotifyParams> = {
  async plan(_ctx, p) {
    return {
      changes: [
        {
          action: 'publish',
          target: p.topic,
          summary: `publish to ${p.topic}: ${headline(p)} (not recalled on rollback)`,
          manualUndo: false,
        },
      ],
    }
  },

  async apply(ctx, p) {
    const sns = await ctx.aws.sns(regionOf(p.topic))
    const sent = await sns.send(
      new PublishCommand({
        TopicArn: p.topic,
        // Subscribers read both, and email keeps them: neither is a place for a secret.
        ...(p.subject ? { Subject: ctx.redact(p.subject) } : {}),
        Message: ctx.redact(p.message),
        MessageAttributes: {
          run: { DataType: 'String', StringValue: ctx.runId },
          step: { DataType: 'String', StringValue: ctx.stepId },
        },
      }),
    )
    return { messageId: sent.MessageId }
  },

  // A sent notification cannot be recalled; rollback has nothing to do.
  async compensate() {},
}
