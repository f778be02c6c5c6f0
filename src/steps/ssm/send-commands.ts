import { SendCommandCommand, type SSMClient } from '@aws-sdk/client-ssm'
import { inBatches } from '../ec2/batches.js'

/** SendCommand takes at most 50 instance ids. */
export const SEND_BATCH = 50

export interface CommandRequest {
  document: string
  parameters: Record<string, string[]>
  comment: string
  maxConcurrency?: string
  maxErrors?: string
  timeoutSeconds?: number
}

/** One SendCommand per batch of 50 instances; returns each batch's command id and instances. */
export async function sendCommands(
  ssm: SSMClient,
  instances: readonly string[],
  request: CommandRequest,
  signal: AbortSignal,
): Promise<Array<{ commandId: string; instances: string[] }>> {
  const sent: Array<{ commandId: string; instances: string[] }> = []
  for (const batch of inBatches(instances, SEND_BATCH)) {
    signal.throwIfAborted()
    const answer = await ssm.send(
      new SendCommandCommand({
        DocumentName: request.document,
        InstanceIds: batch,
        Parameters: request.parameters,
        Comment: request.comment,
        MaxConcurrency: request.maxConcurrency,
        MaxErrors: request.maxErrors,
        TimeoutSeconds: request.timeoutSeconds,
      }),
      { abortSignal: signal },
    )
    const commandId = answer.Command?.CommandId
    if (!commandId) throw new Error(`SSM SendCommand answered without a command id for ${batch[0]}…`)
    sent.push({ commandId, instances: batch })
  }
  return sent
}
