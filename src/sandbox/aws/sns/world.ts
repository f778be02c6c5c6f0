export interface PublishedMessage {
  messageId: string
  topicArn: string
  message: string
  subject?: string
  attributes: Record<string, { DataType: string; StringValue?: string }>
  at: number
}

export type SnsWorld = ReturnType<typeof createSnsWorld>

export function createSnsWorld(identity: () => { account: string; region: string }) {
  const topics = new Set<string>()
  return {
    /** Every message published, in order. */
    messages: [] as PublishedMessage[],

    /** Adds a topic by name or ARN and returns its ARN; Publish to any other topic is NotFound. */
    addTopic(nameOrArn: string): string {
      const { account, region } = identity()
      const arn = nameOrArn.startsWith('arn:') ? nameOrArn : `arn:aws:sns:${region}:${account}:${nameOrArn}`
      topics.add(arn)
      return arn
    },

    hasTopic(arn: string): boolean {
      return topics.has(arn)
    },

    /** Topics, and what was published to them (which no one can take back). */
    snapshotState() {
      return {
        topics: Object.fromEntries([...topics].map((arn) => [arn, true])),
        messages: this.messages.map((m) => ({ messageId: m.messageId, topicArn: m.topicArn, at: m.at })),
      }
    },
  }
}
