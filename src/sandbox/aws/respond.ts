import type { ServerResponse } from 'node:http'
import type { ServiceEndpoint } from './service.js'
import type { ServiceError } from './service-error.js'
import { type XmlValue, xmlDocument } from './xml-write.js'

export interface Reply {
  status: number
  headers: Record<string, string>
  body: string
  /** The error code, for the request log. */
  error?: string
}

/** An answer a service shapes itself (S3: an object's bytes and headers), sent as it is. */
export class RawReply implements Reply {
  constructor(
    readonly status: number,
    readonly headers: Record<string, string>,
    readonly body = '',
  ) {}
}

/** JSON protocols carry timestamps as epoch seconds (an ISO string there makes the SDK throw). */
function toJsonValue(value: unknown): unknown {
  if (value instanceof Date) return value.getTime() / 1000
  if (Array.isArray(value)) return value.map(toJsonValue)
  if (typeof value === 'object' && value !== null) {
    const out: Record<string, unknown> = {}
    for (const [key, entry] of Object.entries(value)) if (entry !== undefined) out[key] = toJsonValue(entry)
    return out
  }
  return value
}

const xmlHeaders = { 'content-type': 'text/xml' }

export function successReply(
  endpoint: ServiceEndpoint,
  operation: string,
  output: unknown,
  requestId: string,
): Reply {
  if (output instanceof RawReply) return output
  const body = (output ?? {}) as Record<string, XmlValue>
  switch (endpoint.protocol) {
    case 'restXmlS3':
      throw new TypeError(`S3 ${operation} must answer with a RawReply`)
    case 'awsJson1_0':
    case 'awsJson1_1':
      return {
        status: 200,
        headers: {
          'content-type': `application/x-amz-json-${endpoint.protocol === 'awsJson1_0' ? '1.0' : '1.1'}`,
        },
        body: JSON.stringify(toJsonValue(output ?? {})),
      }
    case 'restXml':
      return {
        status: 200,
        headers: xmlHeaders,
        body: xmlDocument(
          `${operation}Response`,
          endpoint.namespace,
          body,
          endpoint.memberName ?? (() => 'member'),
        ),
      }
    case 'ec2Query':
      // EC2 has no Result wrapper, and every list entry is an <item>.
      return {
        status: 200,
        headers: xmlHeaders,
        body: xmlDocument(`${operation}Response`, endpoint.namespace, { requestId, ...body }, () => 'item'),
      }
    case 'awsQuery':
      // Without the <OpResult> wrapper the SDK "succeeds" with every field undefined.
      return {
        status: 200,
        headers: xmlHeaders,
        body: xmlDocument(
          `${operation}Response`,
          endpoint.namespace,
          { [`${operation}Result`]: body, ResponseMetadata: { RequestId: requestId } },
          () => 'member',
        ),
      }
  }
}

export function errorReply(
  endpoint: ServiceEndpoint | undefined,
  error: ServiceError,
  requestId: string,
): Reply {
  return { ...errorBody(endpoint, error, requestId), error: error.code }
}

function errorBody(endpoint: ServiceEndpoint | undefined, error: ServiceError, requestId: string): Reply {
  const type = error.status < 500 ? 'Sender' : 'Receiver'
  const protocol = endpoint?.protocol ?? 'awsQuery'
  const namespace = endpoint?.namespace
  switch (protocol) {
    case 'awsJson1_0':
    case 'awsJson1_1':
      return {
        status: error.status,
        headers: {
          'content-type': `application/x-amz-json-${protocol === 'awsJson1_0' ? '1.0' : '1.1'}`,
          'x-amzn-errortype': error.code,
          // CloudWatch is query-compatible: the SDK takes the error code from this header first.
          ...(endpoint?.name === 'cloudwatch' ? { 'x-amzn-query-error': `${error.code};${type}` } : {}),
        },
        body: JSON.stringify({ __type: error.code, message: error.message }),
      }
    case 'ec2Query':
      return {
        status: error.status,
        headers: xmlHeaders,
        body: xmlDocument(
          'Response',
          undefined,
          { Errors: [{ Code: error.code, Message: error.message }], RequestID: requestId },
          () => 'Error',
        ),
      }
    case 'restXmlS3':
      // S3's errors are a bare <Error>, without the ErrorResponse wrapper the other REST-XML services use.
      return {
        status: error.status,
        headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId },
        body: xmlDocument(
          'Error',
          undefined,
          { Code: error.code, Message: error.message, RequestId: requestId },
          () => 'member',
        ),
      }
    case 'restXml':
    case 'awsQuery':
      return {
        status: error.status,
        headers: xmlHeaders,
        body: xmlDocument(
          'ErrorResponse',
          namespace,
          { Error: { Type: type, Code: error.code, Message: error.message }, RequestId: requestId },
          () => 'member',
        ),
      }
  }
}

export function sendReply(res: ServerResponse, reply: Reply, requestId: string): void {
  const body = Buffer.from(reply.body, 'utf8')
  // A HEAD answer names the object's length, though it sends no body.
  res.writeHead(reply.status, {
    'content-length': String(body.length),
    ...reply.headers,
    'x-amzn-requestid': requestId,
  })
  res.end(body)
}
