import * as z from 'zod/mini'
import { defineStep } from '../contract.js'

export const notifyParams = z.strictObject({
  topic: z.string().check(
    z.regex(/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$/, {
      error: 'topic is an SNS topic ARN: arn:aws:sns:us-east-1:123456789012:cutover',
    }),
    z.describe('The SNS topic ARN'),
  ),
  subject: z.optional(
    z
      .string()
      .check(
        z.minLength(1),
        z.maxLength(100),
        z.regex(/^[^\r\n]*$/, { error: 'a subject is one line' }),
        z.describe('The subject (email subscribers see it); one line, at most 100 characters'),
      ),
  ),
  message: z.string().check(z.minLength(1), z.describe('The message to publish')),
})

export type NotifyParams = z.infer<typeof notifyParams>

export const snsNotify = defineStep({
  type: 'sns.notify',
  summary: 'Publish a message to an SNS topic, with the run and step as message attributes',
  params: notifyParams,
  // A second copy of a notification is harmless; a lost one is not.
  idempotent: () => true,
  // A sent notification is not recalled: rollback has nothing to undo and asks no one.
  reversible: () => true,
  usesAws: true,
  load: () => import('./notify-step.js').then((m) => m.notifyStep),
})
