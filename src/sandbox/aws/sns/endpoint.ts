import type { Clock } from '../clock.js'
import { formList, formRecord, formString } from '../form-params.js'
import { uuid } from '../ids.js'
import { awsQueryService, type QueryParams } from '../query-endpoint.js'
import type { ServiceEndpoint } from '../service.js'
import { ServiceError } from '../service-error.js'
import type { PublishedMessage, SnsWorld } from './world.js'

const MAX_MESSAGE_BYTES = 262_144

const invalidParameter = (message: string) => new ServiceError(400, 'InvalidParameter', message)

/** `MessageAttributes.entry.N.Name` / `.Value.DataType` / `.Value.StringValue`. */
function readAttributes(params: QueryParams): PublishedMessage['attributes'] {
  const attributes: PublishedMessage['attributes'] = {}
  formList(params, 'MessageAttributes').forEach((entry, i) => {
    const pair = formRecord(entry, `MessageAttributes.entry.${i + 1}`)
    const name = formString(pair, 'Name')
    const value = formRecord(pair.Value, `MessageAttributes.entry.${i + 1}.Value`)
    const dataType = formString(value, 'DataType')
    if (!name || !dataType)
      throw invalidParameter(
        'Invalid parameter: MessageAttributes: every attribute needs a Name and a DataType',
      )
    const stringValue = formString(value, 'StringValue')
    attributes[name] = {
      DataType: dataType,
      ...(stringValue !== undefined ? { StringValue: stringValue } : {}),
    }
  })
  return attributes
}

export function snsEndpoint(world: SnsWorld, clock: Clock): ServiceEndpoint {
  return awsQueryService(
    {
      name: 'sns',
      signingName: 'sns',
      namespace: 'http://sns.amazonaws.com/doc/2010-03-31/',
      version: '2010-03-31',
      throttle: { status: 429, code: 'Throttled', message: 'Rate exceeded' },
    },
    {
      Publish(params) {
        const topicArn = formString(params, 'TopicArn') ?? formString(params, 'TargetArn')
        const message = formString(params, 'Message')
        const subject = formString(params, 'Subject')
        if (!topicArn)
          throw invalidParameter(
            'Invalid parameter: TopicArn or TargetArn Reason: no value for required parameter',
          )
        if (message === undefined)
          throw invalidParameter('Invalid parameter: Message Reason: no value for required parameter')
        if (Buffer.byteLength(message) > MAX_MESSAGE_BYTES)
          throw invalidParameter('Invalid parameter: Message too long')
        if (subject !== undefined && (subject.length > 100 || /[\r\n]/.test(subject)))
          throw invalidParameter('Invalid parameter: Subject must be at most 100 characters on one line')
        const attributes = readAttributes(params)
        if (!world.hasTopic(topicArn)) throw new ServiceError(404, 'NotFound', 'Topic does not exist')
        const published: PublishedMessage = {
          messageId: uuid(),
          topicArn,
          message,
          attributes,
          at: clock(),
          ...(subject !== undefined ? { subject } : {}),
        }
        world.messages.push(published)
        return { MessageId: published.messageId }
      },
    },
  )
}
